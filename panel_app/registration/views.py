"""Public pages: event page, registration form, the registrant's private page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale

from panel_app.events.services import SLUG_RE
from panel_app.extensions import csrf, db, limiter
from panel_app.models import Event, EventStatus, utcnow
from panel_app.registration import services
from panel_app.registration.forms import CancelForm, RegistrationForm
from panel_app.registration.organisations import organisation_names
from panel_app.registration.services import RegistrationClosed, WindowState

bp = Blueprint("registration", __name__)

#: Kept in the signed session cookie so a double-click lands on the same private page.
LAST_REGISTRATION_KEY = "last_registration"


def _locale() -> str:
    return str(get_locale() or "en")


def _published_event_or_404(slug: str) -> Event:
    # Only well-formed slugs reach the database: PostgreSQL refuses strings with NUL bytes
    # (a 500), and a junk address deserves the same 404 as an unknown one.
    well_formed = SLUG_RE.match(slug) is not None and len(slug) <= 100
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug)) if well_formed else None
    if event is None or event.status == EventStatus.DRAFT:
        abort(404)
    return event


def _event_context(event: Event) -> dict:
    now = utcnow()
    return {
        "event": event,
        "window": services.registration_window(event, now),
        "full": services.is_full(db.session, event),
        "locale": _locale(),
    }


@bp.get("/")
def index():
    now = utcnow()
    events = db.session.scalars(
        sa.select(Event)
        .where(Event.status == EventStatus.PUBLISHED, Event.ends_at > now)
        .order_by(Event.starts_at)
        .limit(50)
    ).all()
    return render_template("events/index.html", events=events, locale=_locale())


@bp.get("/privacy")
def privacy():
    return render_template("registration/privacy.html", version=current_app.config["PRIVACY_NOTICE_VERSION"])


@bp.get("/events/<slug>")
def event_page(slug: str):
    event = _published_event_or_404(slug)
    return render_template("events/show.html", **_event_context(event))


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so an expired one re-renders the form with data kept
@limiter.limit("30 per minute", methods=["POST"])
def register(slug: str):
    event = _published_event_or_404(slug)
    context = _event_context(event)
    if context["window"] != WindowState.OPEN:
        return render_template("registration/closed.html", **context), 200
    form = RegistrationForm(event_languages=list(event.languages), locale=context["locale"])
    if not form.is_submitted() and context["locale"] in event.languages:
        form.language.data = context["locale"]

    if form.validate_on_submit():
        try:
            outcome = services.register(
                db.session,
                event,
                form.to_input(),
                now=utcnow(),
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                secret_key=current_app.config["SECRET_KEY"],
            )
            db.session.commit()
        except RegistrationClosed:
            db.session.rollback()
            return render_template("registration/closed.html", **_event_context(event)), 200
        except sa.exc.IntegrityError:
            # The seat lock serialises submissions, so this needs a writer that bypassed it;
            # the unique (event, email) constraint still holds and the answer stays neutral.
            db.session.rollback()
            return render_template("registration/already_registered.html", **context, email=form.email.data)
        if outcome.created:
            session[LAST_REGISTRATION_KEY] = {"event": event.id, "email": outcome.registration.email_normalized, "token": outcome.token}
            return redirect(url_for("registration.show", token=outcome.token, new=1), code=303)
        remembered = session.get(LAST_REGISTRATION_KEY) or {}
        if remembered.get("event") == event.id and remembered.get("email") == outcome.registration.email_normalized:
            return redirect(url_for("registration.show", token=remembered["token"]), code=303)
        return render_template("registration/already_registered.html", **context, email=form.email.data)

    status = 422 if form.is_submitted() else 200
    return render_template("registration/form.html", form=form, organisations=organisation_names(db.session), **context), status


def _registration_or_404(token: str):
    registration = services.find_by_token(db.session, token)
    if registration is None:
        abort(404)
    return registration


@bp.get("/registrations/<token>")
def show(token: str):
    registration = _registration_or_404(token)
    return render_template(
        "registration/show.html",
        registration=registration,
        event=registration.event,
        token=token,
        cancel_form=CancelForm(),
        just_registered=request.args.get("new") == "1",
        locale=_locale(),
    )


@bp.post("/registrations/<token>/cancel")
@csrf.exempt  # CancelForm validates the token itself so the page can explain an expired form
def cancel(token: str):
    registration = _registration_or_404(token)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_template(
            "registration/show.html",
            registration=registration,
            event=registration.event,
            token=token,
            cancel_form=form,
            cancel_error=True,
            locale=_locale(),
        ), 400
    services.cancel(db.session, registration, now=utcnow(), actor="registrant")
    db.session.commit()
    return redirect(url_for("registration.show", token=token), code=303)
