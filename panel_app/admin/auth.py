"""Console sign-in, sign-out and THE access rule every console request goes through.

- Every /admin page needs a signed-in, active account (except the login page itself).
- Viewers read and export: any POST from them is refused with 403.
- Some pages (accounts, audit log, personal data) need an administrator: `require_role`.
- `access_refused` is the one rule: the blueprint applies it to every request and
  `require_role` to the pages that need more.
- Five wrong passwords in a row lock the account for 15 minutes (stored on the user row,
  so it holds across processes); a per-address rate limit slows guessing across accounts.
- Signing in starts a new session (nothing from before survives), and `next` only ever
  leads to a page of this site.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from panel_app.admin.blueprint import bp
from panel_app.admin.common import client_ip, current_account
from panel_app.admin.forms import ActionForm, LoginForm
from panel_app.admin.users.services import account_email
from panel_app.audit.services import record
from panel_app.extensions import db, login_manager
from panel_app.models import User, UserRole, utcnow
from panel_app.security import rate_limit

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
#: Endpoints reachable without signing in.
PUBLIC_ENDPOINTS = {"admin.login"}
#: POST endpoints a viewer may use.
VIEWER_POSTS = {"admin.logout"}
#: Methods that only read: a viewer may use them anywhere in the console.
READ_METHODS = ("GET", "HEAD", "OPTIONS")
#: A real hash of a random password, checked for unknown emails so that timing does not
#: tell which addresses have accounts.
_DUMMY_HASH: dict[str, str] = {}


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
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _dummy_check(password: str) -> None:
    from werkzeug.security import check_password_hash, generate_password_hash

    if "hash" not in _DUMMY_HASH:
        _DUMMY_HASH["hash"] = generate_password_hash("not-a-real-password")
    check_password_hash(_DUMMY_HASH["hash"], password)


@bp.route("/login", methods=["GET", "POST"])
@rate_limit("RATELIMIT_LOGIN")
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("admin.events"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        now = utcnow()
        email = account_email(form.email.data)
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            _dummy_check(form.password.data)
            record(db.session, "login.failed", actor=email[:320], details={"reason": "unknown_email"}, ip=client_ip(),
                   now=now)
            error = _("The email address or password is not right.")
        elif user.locked_until is not None and user.locked_until > now:
            record(db.session, "login.locked", actor=user, ip=client_ip(), now=now)
            error = _("Too many failed attempts: this account is locked for a few minutes. "
                      "Try again later or ask an administrator to unlock it.")
        elif not user.check_password(form.password.data) or not user.active:
            user.failed_logins = (user.failed_logins or 0) + 1
            reason = "inactive" if user.active is False else "bad_password"
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                reason = "locked"
            record(db.session, "login.failed", actor=user, details={"reason": reason}, ip=client_ip(), now=now)
            error = _("The email address or password is not right.")
        else:
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            record(db.session, "login", actor=user, ip=client_ip(), now=now)
            db.session.commit()
            target = safe_next(request.args.get("next"))
            # A fresh session on login: nothing set before (by anyone) carries over.
            session.clear()
            login_user(user)
            session.permanent = False
            return redirect(target or url_for("admin.events"), code=303)
        db.session.commit()
        status = 401
    elif form.is_submitted():
        status = 400
    return render_template("admin/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    record(db.session, "logout", actor=current_account(), ip=client_ip(), now=utcnow())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("admin.login"), code=303)


def register_login_message() -> None:
    login_manager.login_message = None  # the login page says what it is; no flash needed


register_login_message()
