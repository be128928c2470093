"""Console: which parliaments and organisations of the directory an event reaches."""
