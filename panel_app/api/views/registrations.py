"""/api/v1/events/<slug>/registrations: the console's filtered list with a cursor, one
registration, registering someone on their behalf, status and language changes, cancelling,
attendance per registration, and the event's walk-ins."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, url_for
from flask.views import MethodView
from flask_babel import gettext as _

from panel_app.admin.registrations.filters import parse_filters
from panel_app.admin.registrations.services import SORT_COLUMNS, filtered, ordered
from panel_app.api import pagination, resources
from panel_app.api import services as api_services
from panel_app.api.auth import current_token
from panel_app.api.blueprint import bp
from panel_app.api.problems import FieldError, invalid, not_found
from panel_app.api.schemas import (
    AttendanceMarkSchema,
    AttendanceSchema,
    PageArgs,
    RegistrationCreateSchema,
    RegistrationListArgs,
    RegistrationPageSchema,
    RegistrationSchema,
    RegistrationUpdateSchema,
    WalkInPageSchema,
)
from panel_app.api.views.events import event_or_404
from panel_app.extensions import db
from panel_app.models import Event, Registration, WalkIn, utcnow

#: Largest id a row can have (32-bit keys on PostgreSQL): a larger one finds nothing.
MAX_ROW_ID = 2**31 - 1


def registration_or_404(event: Event, registration_id: int) -> Registration:
    """The event's registration `registration_id`; another event's id is not found here."""
    registration = db.session.get(Registration, registration_id) if registration_id <= MAX_ROW_ID else None
    if registration is None or registration.event_id != event.id:
        raise not_found(_("This event has no registration with this id."))
    return registration


def _filters(event: Event, args: dict):
    """The console's filters from validated query arguments (the console's parser, so both read
    them the same way); the language must be one the event offers."""
    if args.get("language") and args["language"] not in event.languages:
        raise invalid([FieldError("language", "not_offered", _("This event offers %(codes)s.",
                                                               codes=", ".join(event.languages)), "query")])
    console_args = {k: v for k, v in args.items() if k not in ("limit", "cursor") and v is not None}
    filters, errors = parse_filters(console_args, languages=list(event.languages))
    if errors:
        raise invalid([FieldError("", "invalid", message, "query") for message in errors])
    return filters


@bp.route("/events/<slug>/registrations")
class Registrations(MethodView):
    @bp.arguments(RegistrationListArgs, location="query", unknown=ma.RAISE)
    @bp.response(200, RegistrationPageSchema)
    def get(self, args: dict, slug: str):
        """The event's registrations with the console's filters and sort orders, a page at a time."""
        event = event_or_404(slug)
        filters = _filters(event, args)
        limit = args["limit"]
        columns = SORT_COLUMNS[filters.sort]
        descending = filters.dir == "desc"
        scope = pagination.fingerprint("registrations", event.id, filters.selection(), filters.sort, filters.dir)
        stmt = ordered(filtered(sa.select(Registration), event.id, filters), filters)
        if args.get("cursor"):
            values, row_id = pagination.read_cursor(args["cursor"], scope, len(columns))
            stmt = stmt.where(pagination.after([(c, descending) for c in columns], Registration.id, values, row_id,
                                               descending))
        rows = list(db.session.scalars(stmt.limit(limit + 1)).unique())
        more = len(rows) > limit
        rows = rows[:limit]
        total = db.session.scalar(filtered(sa.select(sa.func.count()).select_from(Registration), event.id, filters))
        next_cursor = None
        if more:
            last = rows[-1]
            next_cursor = pagination.make_cursor([getattr(last, c.key) for c in columns], last.id, scope)
        return {"items": rows, "next_cursor": next_cursor, "total": total or 0}

    @bp.arguments(RegistrationCreateSchema)
    @bp.response(201, RegistrationSchema)
    def post(self, data: dict, slug: str):
        """Register someone on their behalf: the event's seats, waiting list and approval apply,
        and the person gets the usual emails (with their private link)."""
        event = event_or_404(slug)
        registration = api_services.create_on_behalf(db.session, event, data, token=current_token(), now=utcnow(),
                                                     secret_key=current_app.config["SECRET_KEY"])
        db.session.commit()
        location = url_for("api.Registration", slug=event.slug, registration_id=registration.id)
        return registration, 201, {"Location": location}


@bp.route("/events/<slug>/registrations/<int:registration_id>", endpoint="Registration")
class RegistrationResource(MethodView):
    @bp.response(200, RegistrationSchema)
    def get(self, slug: str, registration_id: int):
        """One registration."""
        return registration_or_404(event_or_404(slug), registration_id)

    @bp.arguments(RegistrationUpdateSchema)
    @bp.response(200, RegistrationSchema)
    def patch(self, data: dict, slug: str, registration_id: int):
        """Change the status, the interpretation channel or the email language."""
        registration = registration_or_404(event_or_404(slug), registration_id)
        now, token = utcnow(), current_token()
        # A refused part raises a problem, whose handler rolls back the parts already done.
        if "language" in data or "email_language" in data:
            api_services.change_languages(db.session, registration, data, token=token, now=now)
        if "status" in data:
            api_services.change_status(db.session, registration, data["status"], token=token, now=now)
        db.session.commit()
        return registration


@bp.route("/events/<slug>/registrations/<int:registration_id>/cancel", methods=["POST"])
@bp.response(200, RegistrationSchema)
def cancel_registration(slug: str, registration_id: int):
    """Cancel a registration (its seat goes to the first person waiting); repeating it changes nothing."""
    registration = registration_or_404(event_or_404(slug), registration_id)
    api_services.change_status(db.session, registration, "cancelled", token=current_token(), now=utcnow())
    db.session.commit()
    return registration


def _attendance(registration: Registration) -> dict:
    return resources.attendance(db.session, registration, now=utcnow())


@bp.route("/events/<slug>/registrations/<int:registration_id>/attendance")
class Attendance(MethodView):
    @bp.response(200, AttendanceSchema)
    def get(self, slug: str, registration_id: int):
        """Whether the person attended, when they first joined, minutes, and each stay in the meeting."""
        return _attendance(registration_or_404(event_or_404(slug), registration_id))

    @bp.arguments(AttendanceMarkSchema)
    @bp.response(200, AttendanceSchema)
    def put(self, data: dict, slug: str, registration_id: int):
        """Record attendance by hand (as an organiser does in the console; Zoom imports keep it)."""
        registration = registration_or_404(event_or_404(slug), registration_id)
        api_services.mark_attendance(db.session, registration, data["attended"], token=current_token(),
                                     now=utcnow())
        db.session.commit()
        return _attendance(registration)


@bp.route("/events/<slug>/walk-ins")
@bp.arguments(PageArgs, location="query", unknown=ma.RAISE, as_kwargs=True)
@bp.response(200, WalkInPageSchema)
def walk_ins(slug: str, limit: int, cursor: str | None = None):
    """People who joined the Zoom meeting without a matching registration."""
    event = event_or_404(slug)
    scope = pagination.fingerprint("walk-ins", event.id)
    # One an organiser matched to a registration counts as that registration's attendance now.
    stmt = sa.select(WalkIn).where(WalkIn.event_id == event.id, WalkIn.matched_registration_id.is_(None)) \
        .order_by(WalkIn.id)
    if cursor:
        _values, row_id = pagination.read_cursor(cursor, scope, 0)
        stmt = stmt.where(pagination.after([], WalkIn.id, [], row_id, False))
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [resources.walk_in(w, event.slug) for w in rows]
    return {"items": items, "next_cursor": pagination.make_cursor([], rows[-1].id, scope) if more else None}
