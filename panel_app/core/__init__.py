"""Cross-cutting plumbing: database session hooks, locale, error pages."""
