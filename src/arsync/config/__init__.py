"""Settings: committed defaults, a file, environment variables and flags, in that order."""

from .settings import Settings, load_settings, settings_report

__all__ = ["Settings", "load_settings", "settings_report"]
