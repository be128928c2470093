"""Console: what parliaments report having done after an event (the follow-up questionnaire)."""
