"""Console pages of the directory of parliaments and organisations (rules: panel_app.directory)."""
