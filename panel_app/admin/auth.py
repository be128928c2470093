"""Console sign-in, sign-out and THE access rule every console request goes through.

- Every /admin page needs a signed-in, active account (except the login page itself).
- Viewers read and export: any POST from them is refused with 403.
- Some pages (accounts, audit log, personal data) need an administrator: `require_role`.
- `access_refused` is the one rule: the blueprint applies it to every request and
  `require_role` to the pages that need more.
- Wrong passwords slow down the address that sends them, for that email only, and never
  lock the owner out (`admin/throttle.py`); a per-address rate limit slows guessing across
  accounts. Known and unknown emails get the same answers in the same time.
- Signing in starts a new session (nothing from before survives), and `next` only ever
  leads to a page of this site. A session ends after `SESSION_IDLE_MINUTES` idle or
  `SESSION_MAX_HOURS` in all, and every session of an account ends on sign-out, password
  change and deactivation (the account's session token is part of the cookie).
"""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from panel_app.admin import throttle
from panel_app.admin.blueprint import bp
from panel_app.admin.common import MAX_ROW_ID, client_ip, current_account
from panel_app.admin.forms import ActionForm, LoginForm
from panel_app.admin.users.services import account_email
from panel_app.audit.services import record
from panel_app.core.sessions import console_session_is_current, start_console_session
from panel_app.extensions import db, login_manager
from panel_app.models import User, UserRole, utcnow
from panel_app.security import rate_limit

#: Endpoints reachable without signing in.
PUBLIC_ENDPOINTS = {"admin.login"}
#: POST endpoints a viewer may use.
VIEWER_POSTS = {"admin.logout"}
#: Methods that only read: a viewer may use them anywhere in the console.
READ_METHODS = ("GET", "HEAD", "OPTIONS")
#: A real hash (same method and cost as accounts' hashes) of a password nobody knows,
#: checked for unknown emails so that timing does not tell which addresses have accounts.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(24))


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def access_refused(role: str):
    """The access rule: None when the signed-in, active account has at least `role`.

    Otherwise the answer to give: the login page (with `next`) for someone not signed in,
    403 for an account whose role is too low.
    """
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.can(role):
        abort(403)
    return None


def require_role(role: str):
    """View decorator: the page needs at least `role` (see `access_refused`)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            refused = access_refused(role)
            if refused is not None:
                return refused
            return view(*args, **kwargs)

        return wrapper

    return decorate


@bp.before_request
def check_access():
    """Every console request: signed in; changes (POST...) need at least an organiser."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    reads = request.method in READ_METHODS or request.endpoint in VIEWER_POSTS
    return access_refused(UserRole.VIEWER if reads else UserRole.ORGANISER)


@bp.after_request
def no_store(response):
    # Console pages carry personal data: never keep them in shared or browser caches.
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _dummy_check(password: str) -> None:
    """Spend what checking a real password costs, for emails that have no account."""
    check_password_hash(_DUMMY_HASH, password)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The account of a console session cookie, or None (signed out) when the cookie's
    session token is no longer the account's, the account is disabled, or the session is
    past its idle or absolute lifetime (`SESSION_IDLE_MINUTES`, `SESSION_MAX_HOURS`)."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token or int(user_id) > MAX_ROW_ID:
        return None
    config = current_app.config
    if not console_session_is_current(session, utcnow(), idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
                                      longest=timedelta(hours=config["SESSION_MAX_HOURS"])):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not user.session_token:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
@rate_limit("RATELIMIT_LOGIN")
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("admin.events"))
    form = LoginForm()
    error = None
    status = 200
    retry_after = None
    if form.validate_on_submit():
        now = utcnow()
        email = account_email(form.email.data)
        key = throttle.account_key(current_app.config["SECRET_KEY"], email)
        address = throttle.address_key(client_ip())
        user = db.session.scalar(sa.select(User).where(User.email == email))
        wait = throttle.retry_after(db.session, key, address, now)
        if wait is not None:
            # Said the same way for every email, with or without an account.
            record(db.session, "login.throttled", actor=user or email[:320], ip=client_ip(), now=now)
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            error = _("Too many failed attempts with this email address from your network. "
                      "Wait %(minutes)d min and try again.", minutes=minutes)
            retry_after = math.ceil(wait.total_seconds())
            status = 429
        elif user is not None and user.check_password(form.password.data) and user.active:
            throttle.record_success(db.session, key, address)
            user.last_login_at = now
            record(db.session, "login", actor=user, ip=client_ip(), now=now)
            db.session.commit()
            target = safe_next(request.args.get("next"))
            # A fresh session on login: nothing set before (by anyone) carries over.
            session.clear()
            login_user(user)
            session.permanent = False
            start_console_session(session, now)
            return redirect(target or url_for("admin.events"), code=303)
        else:
            if user is None:
                _dummy_check(form.password.data)  # as long as a real check: timing tells nothing
                reason = "unknown_email"
            else:
                reason = "inactive" if not user.active else "bad_password"
            throttle.record_failure(db.session, key, address, now)
            record(db.session, "login.failed", actor=user or email[:320], details={"reason": reason},
                   ip=client_ip(), now=now)
            error = _("The email address or password is not right.")
            status = 401
        db.session.commit()
    elif form.is_submitted():
        status = 400
    response = make_response(render_template("admin/login.html", form=form, error=error), status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/logout")
def logout():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    account = current_account()
    # Every session of this account ends, not only this browser's (a copied cookie too).
    account.end_sessions()
    record(db.session, "logout", actor=account, ip=client_ip(), now=utcnow())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("admin.login"), code=303)


def register_login_message() -> None:
    login_manager.login_message = None  # the login page says what it is; no flash needed


register_login_message()
