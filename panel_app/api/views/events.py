"""/api/v1/events: list, read, create, update, publish, cancel (panel_app.events.services)."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, url_for
from flask.views import MethodView
from flask_babel import gettext as _

from panel_app.api import pagination, resources
from panel_app.api.auth import current_token
from panel_app.api.blueprint import bp
from panel_app.api.problems import conflict, invalid, not_found
from panel_app.api.schemas import (
    EventCreateSchema,
    EventListArgs,
    EventPageSchema,
    EventSchema,
    EventUpdateSchema,
)
from panel_app.events import services as event_services
from panel_app.extensions import db
from panel_app.models import Event, EventStatus, utcnow

#: Longest slug an event can have (a longer one in a URL finds nothing).
SLUG_MAX = 100


def event_or_404(slug: str) -> Event:
    # PostgreSQL refuses a NUL byte in a query: such a slug simply names no event.
    usable = len(slug) <= SLUG_MAX and "\x00" not in slug
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug)) if usable else None
    if event is None:
        raise not_found(_("There is no event with this slug."))
    return event


def views_of(events: list[Event]):
    return resources.event_views(db.session, events)


def _input_problem(error: event_services.EventInputError):
    return invalid([], detail=str(error))


@bp.route("/events")
class Events(MethodView):
    @bp.arguments(EventListArgs, location="query", unknown=ma.RAISE, as_kwargs=True)
    @bp.response(200, EventPageSchema)
    def get(self, limit: int, status: str | None = None, cursor: str | None = None):
        """Events, the latest first."""
        scope = pagination.fingerprint("events", status)
        stmt = sa.select(Event).order_by(Event.starts_at.desc(), Event.id.desc())
        if status:
            stmt = stmt.where(Event.status == status)
        if cursor:
            values, row_id = pagination.read_cursor(cursor, scope, 1)
            stmt = stmt.where(pagination.after([(Event.starts_at, True)], Event.id, values, row_id, True))
        events = list(db.session.scalars(stmt.limit(limit + 1)))
        more = len(events) > limit
        events = events[:limit]
        next_cursor = pagination.make_cursor([events[-1].starts_at], events[-1].id, scope) if more else None
        return {"items": views_of(events), "next_cursor": next_cursor}

    @bp.arguments(EventCreateSchema)
    @bp.response(201, EventSchema)
    def post(self, data: dict):
        """Create an event (a draft unless `status` is "published")."""
        values = dict(data)
        values.setdefault("timezone", current_app.config["DEFAULT_TIMEZONE"])
        try:
            event = event_services.create_event(db.session, event_services.EventInput(**values),
                                                user=current_token(), now=utcnow())
        except event_services.EventInputError as exc:
            raise _input_problem(exc) from None
        db.session.commit()
        return views_of([event])[0], 201, {"Location": url_for("api.Event", slug=event.slug)}


@bp.route("/events/<slug>", endpoint="Event")
class EventResource(MethodView):
    @bp.response(200, EventSchema)
    def get(self, slug: str):
        """One event."""
        return views_of([event_or_404(slug)])[0]

    @bp.arguments(EventUpdateSchema)
    @bp.response(200, EventSchema)
    def patch(self, data: dict, slug: str):
        """Change an event; members left out stay. Registrants get updated invites when the
        time or the join details of a published event change."""
        event = event_or_404(slug)
        values = event_services.event_input_from(event)
        for name, value in data.items():
            setattr(values, name, value)
        try:
            # The console asks an organiser to confirm a capacity below the people confirmed, or a move
            # into the past; an API client has stated what it wants (nobody loses a seat either way).
            event_services.update_event(db.session, event, values, now=utcnow(), user=current_token(),
                                        accept_over_capacity=True, accept_past=True)
        except event_services.EventInputError as exc:
            raise _input_problem(exc) from None
        db.session.commit()
        return views_of([event])[0]


@bp.route("/events/<slug>/publish", methods=["POST"])
@bp.response(200, EventSchema)
def publish_event(slug: str):
    """Publish a draft (registration then opens per its window); repeating it changes nothing."""
    event = event_or_404(slug)
    if event.status == EventStatus.CANCELLED:
        raise conflict(_("A cancelled event cannot be published."), current_status=event.status)
    try:
        event_services.publish_event(db.session, event, now=utcnow(), user=current_token())
    except event_services.EventInputError as exc:  # the event is already over
        raise conflict(str(exc), current_status=event.status) from None
    db.session.commit()
    return views_of([event])[0]


@bp.route("/events/<slug>/cancel", methods=["POST"])
@bp.response(200, EventSchema)
def cancel_event(slug: str):
    """Cancel the event: registrants with an invite get a cancellation. Repeating it changes nothing."""
    event = event_or_404(slug)
    try:
        event_services.cancel_event(db.session, event, now=utcnow(), user=current_token())
    except event_services.EventInputError as exc:  # the event is over
        raise conflict(str(exc), current_status=event.status) from None
    db.session.commit()
    return views_of([event])[0]
