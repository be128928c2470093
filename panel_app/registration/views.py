"""Public pages: the events list, an event's page and its registration form (the registrant's
private pages are in `registrant_views.py`)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import re
from datetime import timedelta

import limits
import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from panel_app.core.pagecache import (
    PageCache,
    cacheable_request,
    event_page_state,
    render_cached,
    render_with_token,
    shown_columns_key,
)
from panel_app.directory import links
from panel_app.events.services import SLUG_RE
from panel_app.extensions import csrf, db, limiter
from panel_app.models import Event, EventInvitation, EventStatus, utcnow
from panel_app.registration import services
from panel_app.registration.blueprint import bp, page_locale
from panel_app.registration.forms import RegistrationForm
from panel_app.registration.organisations import organisation_names
from panel_app.registration.services import InvitationRequired, RegistrationClosed, WindowState
from panel_app.registration.speakers import event_speakers
from panel_app.registration.speakers import photo as speaker_photos
from panel_app.security import rate_limit

log = logging.getLogger(__name__)

#: Kept in the signed session cookie so a double-click lands on the same private page. The
#: cookie is signed, not encrypted: it holds the event id and a keyed hash of the email, never
#: the email or the private token (both readable by anyone who sees the cookie).
LAST_REGISTRATION_KEY = "last_registration"


def _email_key(email_normalized: str) -> str:
    """A keyed hash of an email: equal for the same address, meaningless without SECRET_KEY."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(secret, b"registration-email:" + email_normalized.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _email_limit_reached(email_normalized: str) -> bool:
    """True when this email has been submitted more than RATELIMIT_REGISTER_EMAIL allows.

    On top of the per-address limit (`@rate_limit`): probing whether one person registered,
    or flooding their inbox, from many addresses still counts against that person's email.
    Counted in the limiter's storage (Redis when configured) under a keyed hash, so the
    storage never holds the address. Fails open, like the other limits, if the storage fails.
    """
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True) or not limiter.enabled:
        return False
    try:
        item = limits.parse(config["RATELIMIT_REGISTER_EMAIL"])
        return not limiter.limiter.hit(item, config.get("RATELIMIT_KEY_PREFIX", ""), "register-email",
                                       _email_key(email_normalized))
    except Exception:  # storage down: the per-address limit still applies
        log.exception("per-email registration limit could not be checked")
        return False


def _locale() -> str:
    return page_locale()


def _well_formed(slug: str) -> bool:
    # Only well-formed slugs reach the database: PostgreSQL refuses strings with NUL bytes
    # (a 500), and a junk address deserves the same 404 as an unknown one.
    return SLUG_RE.match(slug) is not None and len(slug) <= 100


def _published_event_or_404(slug: str) -> Event:
    well_formed = _well_formed(slug)
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


def page_cache() -> PageCache:
    """This app's memo of rendered event pages and empty forms (see core.pagecache)."""
    return current_app.extensions.setdefault("public_page_cache", PageCache())


def _page_state_or_404(slug: str):
    """One query for what the public pages show: the event's columns and its seat count.

    Answers 404 exactly where `_published_event_or_404` does.
    """
    row = event_page_state(db.engine, slug) if _well_formed(slug) else None
    if row is None or row.status == EventStatus.DRAFT:
        abort(404)
    return row


def _page_key(kind: str, row, window: WindowState, full: bool, locale: str, *extra) -> tuple:
    # The path and query string feed the language switcher's links, the script root every
    # url_for; window and full are what the status line and the Register button show.
    return (kind, shown_columns_key(row), row.identity_version, row.speakers_count, str(row.speakers_changed_at),
            window, full, locale, request.script_root, request.path, request.query_string, *extra)


def _context_for(row, window: WindowState, full: bool, locale: str) -> tuple[dict, bool]:
    """Template context for a page whose key was built from `row`, and whether the event
    loaded now still matches that row (if it changed in between, the page is not kept)."""
    event = db.session.get(Event, row.id)
    if event is None:
        abort(404)
    context = {"event": event, "window": window, "full": full, "locale": locale}
    return context, shown_columns_key(event) == shown_columns_key(row)


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


@bp.get("/events/<slug>")
def event_page(slug: str):
    row = _page_state_or_404(slug)
    window = services.registration_window(row, utcnow())
    full = services.capacity_reached(row.capacity, row.seats_taken)
    locale = _locale()

    def context() -> tuple[dict, bool]:
        values, current = _context_for(row, window, full, locale)
        return {**values, "speakers": event_speakers(db.session, row.id)}, current

    if not cacheable_request():
        return render_template("events/show.html", **context()[0])
    key = _page_key("event", row, window, full, locale)
    return render_cached(page_cache(), key, "events/show.html", context)


@bp.get("/speakers/photo-<digest>.<ext>")
def speaker_photo(digest: str, ext: str):
    if not re.fullmatch(r"[0-9a-f]{32}", digest):
        abort(404)
    found = speaker_photos(db.session, digest)
    if found is None:
        abort(404)
    response = current_app.response_class(found[0], mimetype=found[1])
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # the address is the digest
    return response


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so an expired one re-renders the form with data kept
@rate_limit("RATELIMIT_REGISTER")
def register(slug: str):
    if request.method == "GET" and cacheable_request() and not request.args.get("invitation"):
        row = _page_state_or_404(slug)
        window = services.registration_window(row, utcnow())
        if window == WindowState.OPEN and not row.invitation_only:
            return _empty_form(row, window, _locale())
    event = _published_event_or_404(slug)
    window = services.registration_window(event, utcnow())
    locale = _locale()

    def context() -> dict:
        # Seats are counted only for a page that shows them: a registration answers a redirect.
        return {"event": event, "window": window, "full": services.is_full(db.session, event), "locale": locale}

    if window != WindowState.OPEN:
        return render_template("registration/closed.html", **context()), 200
    token = (request.values.get("invitation") or "").strip()
    invitation = links.invitation_by_token(db.session, event, token) if token else None
    if event.invitation_only and invitation is None:
        # Refused before anything is read: an invitation-only event registers nobody without a link.
        return render_template("registration/invitation_only.html", bad_invitation=bool(token), **context()), (
            403 if request.method == "POST" else 200)
    form = RegistrationForm(event_languages=list(event.languages), locale=locale,
                            data=_prefill(invitation, locale) if invitation and request.method == "GET" else None)

    if form.validate_on_submit():
        if _email_limit_reached(form.email_normalized):
            abort(429)
        try:
            outcome = services.register(
                db.session,
                event,
                _with_directory(form.to_input(), invitation),
                now=utcnow(),
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                secret_key=current_app.config["SECRET_KEY"],
                resend_interval=timedelta(minutes=current_app.config["DETAILS_RESEND_MINUTES"]),
            )
            # Read before the commit expires them (each would cost a reload afterwards).
            event_id, email_normalized = event.id, outcome.registration.email_normalized
            existing_token = (None if outcome.created else
                              services.private_token(outcome.registration, current_app.config["SECRET_KEY"]))
            db.session.commit()
        except RegistrationClosed:
            db.session.rollback()
            return render_template("registration/closed.html", **_event_context(event)), 200
        except InvitationRequired:  # the event became invitation-only while the form was open
            db.session.rollback()
            return render_template("registration/invitation_only.html", bad_invitation=False, **context()), 403
        except sa.exc.IntegrityError:
            # The seat lock serialises submissions, so this needs a writer that bypassed it;
            # the unique (event, email) constraint still holds and the answer stays neutral.
            db.session.rollback()
            return render_template("registration/already_registered.html", **context())
        remembered = session.get(LAST_REGISTRATION_KEY) or {}
        if outcome.created:
            session[LAST_REGISTRATION_KEY] = {"event": event_id, "email_key": _email_key(email_normalized)}
            flash(_("Thank you: we have received your registration."), "success")
            return redirect(url_for("registration.show", token=outcome.token), code=303)
        if (existing_token and remembered.get("event") == event_id
                and hmac.compare_digest(str(remembered.get("email_key", "")), _email_key(email_normalized))):
            # This browser registered that address a moment ago (a double click): same page again.
            return redirect(url_for("registration.show", token=existing_token), code=303)
        # Anyone else learns nothing about the person: the same page whoever is registered.
        return render_template("registration/already_registered.html", **context())

    status = 422 if form.is_submitted() else 200
    organisations = organisation_names(db.session, locale)
    return render_template("registration/form.html", form=form, organisations=organisations, invitation=invitation,
                           invitation_token=invitation.token if invitation else "",
                           invitation_name=_prefill(invitation, locale)["organisation"] if invitation else "",
                           bad_invitation=bool(token) and invitation is None, **context()), status


def _prefill(invitation: EventInvitation, locale: str) -> dict:
    """What a parliament's own link fills in: its name in the form's language, affiliation, country."""
    organisation = invitation.organisation
    return {"organisation": (organisation.translations or {}).get(locale) or organisation.name,
            "affiliation_type": organisation.affiliation_type, "country": organisation.country or ""}


def _with_directory(data: services.RegistrationInput, invitation: EventInvitation | None) -> services.RegistrationInput:
    """The registration linked to the invitation's parliament; without an invitation the service
    links it to the entry whose name (in any language) the person typed."""
    if invitation is not None:
        return dataclasses.replace(data, organisation_id=invitation.organisation_id, invitation_id=invitation.id)
    return data  # the service links it by name (services.linked_to_directory)


def _empty_form(row, window: WindowState, locale: str):
    """The registration form as first shown (GET), served from the page memo when it can be."""
    full = services.capacity_reached(row.capacity, row.seats_taken)
    organisations = tuple(organisation_names(db.session, locale))

    def context() -> tuple[dict, bool]:
        base, current = _context_for(row, window, full, locale)
        event = base["event"]
        form = RegistrationForm(event_languages=list(event.languages), locale=locale)
        return {**base, "form": form, "organisations": list(organisations)}, current

    key = _page_key("form", row, window, full, locale, organisations)
    return render_with_token(page_cache(), key, "registration/form.html", context, generate_csrf), 200
