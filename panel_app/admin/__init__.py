"""Organiser console at /admin: login, events, registrations, exports, dashboard, audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from panel_app.admin import auth, views  # noqa: E402,F401  (routes attach to `bp`)
from panel_app.admin.zoom import views as zoom_views  # noqa: E402,F401
