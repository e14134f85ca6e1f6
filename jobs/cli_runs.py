"""`arsync nightly`, `arsync reconcile` and `arsync runs` (filled in below)."""
