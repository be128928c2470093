"""Public pages: event page, registration form, the registrant's private page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
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
from panel_app.events.services import SLUG_RE
from panel_app.extensions import csrf, db
from panel_app.models import Event, EventStatus, Registration, utcnow
from panel_app.registration import services
from panel_app.registration.forms import CancelForm, LanguageForm, RegistrationForm
from panel_app.registration.organisations import organisation_names
from panel_app.registration.services import RegistrationClosed, WindowState
from panel_app.security import rate_limit

bp = Blueprint("registration", __name__)

#: Kept in the signed session cookie so a double-click lands on the same private page.
LAST_REGISTRATION_KEY = "last_registration"


def _locale() -> str:
    return str(get_locale() or "en")


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
    return (kind, shown_columns_key(row), row.identity_version, window, full, locale, request.script_root,
            request.path, request.query_string, *extra)


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


@bp.get("/privacy")
def privacy():
    return render_template("registration/privacy.html", version=current_app.config["PRIVACY_NOTICE_VERSION"])


@bp.get("/events/<slug>")
def event_page(slug: str):
    row = _page_state_or_404(slug)
    window = services.registration_window(row, utcnow())
    full = services.capacity_reached(row.capacity, row.seats_taken)
    locale = _locale()
    if not cacheable_request():
        context, _ = _context_for(row, window, full, locale)
        return render_template("events/show.html", **context)
    key = _page_key("event", row, window, full, locale)
    return render_cached(page_cache(), key, "events/show.html", lambda: _context_for(row, window, full, locale))


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so an expired one re-renders the form with data kept
@rate_limit("RATELIMIT_REGISTER")
def register(slug: str):
    if request.method == "GET" and cacheable_request():
        row = _page_state_or_404(slug)
        window = services.registration_window(row, utcnow())
        if window == WindowState.OPEN:
            return _empty_form(row, window, _locale())
    event = _published_event_or_404(slug)
    window = services.registration_window(event, utcnow())
    locale = _locale()

    def context() -> dict:
        # Seats are counted only for a page that shows them: a registration answers a redirect.
        return {"event": event, "window": window, "full": services.is_full(db.session, event), "locale": locale}

    if window != WindowState.OPEN:
        return render_template("registration/closed.html", **context()), 200
    form = RegistrationForm(event_languages=list(event.languages), locale=locale)
    if not form.is_submitted() and locale in event.languages:
        form.language.data = locale

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
            # Read before the commit expires them (each would cost a reload afterwards).
            event_id, email_normalized = event.id, outcome.registration.email_normalized
            db.session.commit()
        except RegistrationClosed:
            db.session.rollback()
            return render_template("registration/closed.html", **_event_context(event)), 200
        except sa.exc.IntegrityError:
            # The seat lock serialises submissions, so this needs a writer that bypassed it;
            # the unique (event, email) constraint still holds and the answer stays neutral.
            db.session.rollback()
            return render_template("registration/already_registered.html", **context(), email=form.email.data)
        if outcome.created:
            session[LAST_REGISTRATION_KEY] = {"event": event_id, "email": email_normalized, "token": outcome.token}
            return redirect(url_for("registration.show", token=outcome.token, new=1), code=303)
        remembered = session.get(LAST_REGISTRATION_KEY) or {}
        if remembered.get("event") == event_id and remembered.get("email") == email_normalized:
            return redirect(url_for("registration.show", token=remembered["token"]), code=303)
        return render_template("registration/already_registered.html", **context(), email=form.email.data)

    status = 422 if form.is_submitted() else 200
    organisations = organisation_names(db.session)
    return render_template("registration/form.html", form=form, organisations=organisations, **context()), status


def _empty_form(row, window: WindowState, locale: str):
    """The registration form as first shown (GET), served from the page memo when it can be."""
    full = services.capacity_reached(row.capacity, row.seats_taken)
    organisations = tuple(organisation_names(db.session))

    def context() -> tuple[dict, bool]:
        base, current = _context_for(row, window, full, locale)
        event = base["event"]
        form = RegistrationForm(event_languages=list(event.languages), locale=locale)
        if locale in event.languages:
            form.language.data = locale
        return {**base, "form": form, "organisations": list(organisations)}, current

    key = _page_key("form", row, window, full, locale, organisations)
    return render_with_token(page_cache(), key, "registration/form.html", context, generate_csrf), 200


def _registration_or_404(token: str):
    registration = services.find_by_token(db.session, token)
    if registration is None:
        abort(404)
    return registration


def _registration_page(registration: Registration, token: str, *, status: int = 200, **extra):
    """The registrant's private page, with its cancel and language forms."""
    language_form = extra.pop("language_form", None) or LanguageForm(
        event_languages=list(registration.event.languages),
        data={"language": registration.language, "email_language": registration.email_language or ""},
    )
    return render_template(
        "registration/show.html",
        registration=registration,
        event=registration.event,
        token=token,
        cancel_form=extra.pop("cancel_form", None) or CancelForm(),
        language_form=language_form,
        locale=_locale(),
        **extra,
    ), status


@bp.get("/registrations/<token>")
def show(token: str):
    registration = _registration_or_404(token)
    return _registration_page(registration, token, just_registered=request.args.get("new") == "1")


@bp.post("/registrations/<token>/languages")
@csrf.exempt  # LanguageForm validates the token itself so the page can explain an expired form
def change_languages(token: str):
    registration = _registration_or_404(token)
    form = LanguageForm(event_languages=list(registration.event.languages))
    if not registration.is_active or registration.event.status == EventStatus.CANCELLED:
        return _registration_page(registration, token, status=409)
    if not form.validate_on_submit():
        return _registration_page(registration, token, status=422, language_form=form)
    if services.change_languages(
        db.session, registration, language=form.language.data, email_language=form.email_language.data or None,
        now=utcnow(),
    ):
        db.session.commit()
        flash(_("Your language choices are saved."), "success")
    return redirect(url_for("registration.show", token=token), code=303)


@bp.post("/registrations/<token>/cancel")
@csrf.exempt  # CancelForm validates the token itself so the page can explain an expired form
def cancel(token: str):
    registration = _registration_or_404(token)
    form = CancelForm()
    if not form.validate_on_submit():
        return _registration_page(registration, token, status=400, cancel_form=form, cancel_error=True)
    services.cancel(db.session, registration, now=utcnow(), actor="registrant")
    db.session.commit()
    return redirect(url_for("registration.show", token=token), code=303)
