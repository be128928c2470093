"""Console: an event's registrations (list, filters, actions, edits, exports, participants)."""
