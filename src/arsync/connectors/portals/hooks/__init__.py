"""Per-family hooks: what a portal declaration cannot say in data."""
