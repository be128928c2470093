"""Organiser console at /admin: one module per concern, all routes on one blueprint, `bp`.

`auth` signs people in and holds the access rule, `common` what the concerns share;
each concern (`events`, `registrations`, `attendance`, `dashboard`, `messages`, `users`,
`audit`, `privacy`, `zoom`, `settings`, `speakers`, `letters`,
`coverage`, `follow_up`, `directory`) has its views here and its rules in a
services module. Importing a concern's views module attaches its routes to `bp` (defined in
`blueprint`, which views import, so no module reads a half-initialised one).
"""

from panel_app.admin import auth, common  # noqa: F401  (sign-in, access rule, template helpers)
from panel_app.admin.attendance import views as attendance_views  # noqa: F401
from panel_app.admin.audit import views as audit_views  # noqa: F401
from panel_app.admin.blueprint import bp
from panel_app.admin.coverage import views as coverage_views  # noqa: F401
from panel_app.admin.dashboard import views as dashboard_views  # noqa: F401
from panel_app.admin.directory import views as directory_views  # noqa: F401
from panel_app.admin.events import views as events_views  # noqa: F401
from panel_app.admin.follow_up import views as follow_up_views  # noqa: F401
from panel_app.admin.integrations import views as integrations_views  # noqa: F401
from panel_app.admin.letters import views as letters_views  # noqa: F401
from panel_app.admin.messages import views as messages_views  # noqa: F401
from panel_app.admin.privacy import views as privacy_views  # noqa: F401
from panel_app.admin.registrations import views as registrations_views  # noqa: F401
from panel_app.admin.settings import views as settings_views  # noqa: F401
from panel_app.admin.speakers import views as speakers_views  # noqa: F401
from panel_app.admin.users import views as users_views  # noqa: F401
from panel_app.admin.zoom import views as zoom_views  # noqa: F401

__all__ = ["bp"]
