"""The `arsync` command line: the group (``app``), the command modules, the entry point
(``main``)."""
