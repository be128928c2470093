"""Console: the events list and an event's lifecycle (services in `panel_app.events.services`)."""
