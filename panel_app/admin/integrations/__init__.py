"""Integrations (administrators): API tokens and outgoing webhook endpoints."""
