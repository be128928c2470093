"""Console: the audit log (administrators only). Recording lives in `panel_app.audit`."""
