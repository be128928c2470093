"""API views, one module per resource; importing this package attaches every route to `bp`."""

from panel_app.api.views import directory, events, registrations  # noqa: F401
