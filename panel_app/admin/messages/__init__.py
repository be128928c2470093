"""Console: group messages to a filtered list of registrants."""
