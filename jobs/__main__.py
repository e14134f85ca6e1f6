from arsync.jobs.cli import main

main()
