from arsync.jobs.cli.app import main

main()
