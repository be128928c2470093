"""The API's blueprint (flask-smorest), on its own so view modules can attach routes to it."""

from flask_smorest import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Events, registrations, attendance and the "
                                                                  "directory of parliaments.")
