"""Export files (CSV / XLSX, FBL5N layout) read into the canonical frames."""
