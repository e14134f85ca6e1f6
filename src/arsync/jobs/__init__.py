"""Jobs: the reconciliation engine (``engine``), the pipeline (``pipeline``), the CLI (``cli``)."""
