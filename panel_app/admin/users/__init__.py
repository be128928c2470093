"""Console: accounts (administrators only)."""
