"""Console: an administrator's export or erasure of one person's data (rules in `panel_app.privacy`)."""
