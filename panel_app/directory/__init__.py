"""The directory of parliaments and organisations, their contacts, and the cycle around an event:
invitation links, coverage, letters to contacts, follow-up reports (issue 14)."""
