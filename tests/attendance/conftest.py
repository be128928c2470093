"""Reuse the Zoom simulator fixtures for the report import tests."""

from tests.zoom.conftest import drain_jobs, sim, zoom_client, zoom_config, zoom_event  # noqa: F401
