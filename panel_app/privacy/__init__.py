"""Privacy: retention, erasure on request, and export of one person's data."""
