"""Console: letters to the directory's contacts for one event (write, preview, send, follow)."""
