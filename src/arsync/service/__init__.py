"""arsync as a service: ``arsync serve`` (the nightly on a schedule, web pages and a JSON API,
users with roles, person-assisted portal logins) and ``arsync users``.

The top layer: it calls the jobs, reports and configuration; nothing imports it (the CLI
attaches its commands by name, see ``arsync.jobs.cli.main``).
"""
