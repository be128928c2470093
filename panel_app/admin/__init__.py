"""Organiser console at /admin: one module per concern, all routes on the `bp` blueprint.

`auth` signs people in and holds the access rule, `common` what the concerns share;
each concern (`events`, `registrations`, `dashboard`, `messages`, `users`, `audit`,
`privacy`) has its views here and its rules in a services module. Importing a concern's
views module attaches its routes to `bp`.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from panel_app.admin import auth, common  # noqa: E402,F401,I001  (sign-in, access rule, template helpers)
from panel_app.admin.events import views as events_views  # noqa: E402,F401
from panel_app.admin.registrations import views as registrations_views  # noqa: E402,F401
from panel_app.admin.dashboard import views as dashboard_views  # noqa: E402,F401
from panel_app.admin.messages import views as messages_views  # noqa: E402,F401
from panel_app.admin.users import views as users_views  # noqa: E402,F401
from panel_app.admin.audit import views as audit_views  # noqa: E402,F401
from panel_app.admin.privacy import views as privacy_views  # noqa: E402,F401
