"""Events: scheduling rules, time display, the public event page."""
