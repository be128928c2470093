"""Console: an event's attendance (who came, by channel) and walk-ins, matched by hand."""
