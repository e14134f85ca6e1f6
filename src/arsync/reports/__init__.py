"""Files people read: collector worksheets (and, later, statements and supervisor reports)."""

from arsync.reports.worksheets import RefreshResult, refresh_worksheets

__all__ = ["RefreshResult", "refresh_worksheets"]
