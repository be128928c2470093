"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi ...`."""

from panel_app import create_app

app = create_app()
