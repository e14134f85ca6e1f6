from arsync.jobs.cli.main import main

main()
