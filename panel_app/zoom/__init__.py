"""Zoom: API client, registrant sync, webhooks and the API simulator used by tests and demos."""
