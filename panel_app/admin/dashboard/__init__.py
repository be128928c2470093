"""Console: an event's dashboard (figures, charts drawn on the server)."""
