"""The console's blueprint, on its own so that concern modules can attach routes to it
without importing the package that imports them (`panel_app.admin` re-exports it as `bp`)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
