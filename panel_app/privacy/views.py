"""Erasure from the registrant's private page; export and erasure of one person by an admin."""

from __future__ import annotations

import functools
import json

import click
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from panel_app.extensions import csrf, db, limiter
from panel_app.models import utcnow
from panel_app.privacy import services
from panel_app.privacy.forms import EraseOwnForm, PersonForm
from panel_app.registration.services import find_by_token

bp = Blueprint("privacy", __name__, cli_group="privacy")


def _erase_limit() -> str:
    return current_app.config["RATELIMIT_ERASE"]


def admin_required(view):
    """Logged-in console users with the admin role only (others: login page or 403)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            if "admin.login" in current_app.view_functions:
                return current_app.login_manager.unauthorized()
            abort(401)
        if not current_user.can("admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# --- Registrant -------------------------------------------------------------------------

def _registration_or_404(token: str):
    registration = find_by_token(db.session, token)
    if registration is None or services.is_erased(registration):
        abort(404)
    return registration


@bp.get("/registrations/<token>/erase")
def erase(token: str):
    """Explain what erasure means and ask for confirmation."""
    registration = _registration_or_404(token)
    return render_template("privacy/erase_confirm.html", registration=registration, event=registration.event,
                           token=token, form=EraseOwnForm())


@bp.post("/registrations/<token>/erase")
@csrf.exempt  # validated by the form itself, so an expired form is explained instead of a bare 400
@limiter.limit(_erase_limit)
def erase_confirmed(token: str):
    """Cancel (if still active) and anonymise the registration, then show a receipt."""
    registration = _registration_or_404(token)
    form = EraseOwnForm()
    if not form.validate_on_submit():
        return render_template("privacy/erase_confirm.html", registration=registration, event=registration.event,
                               token=token, form=form, expired=True), 400
    services.erase_registration(db.session, registration, now=utcnow(), reason="registrant")
    db.session.commit()
    return redirect(url_for("privacy.erased"), code=303)


@bp.get("/privacy/erased")
def erased():
    return render_template("privacy/erased.html")


# --- Admin ------------------------------------------------------------------------------

@bp.get("/admin/privacy")
@admin_required
def admin_person():
    return render_template("privacy/admin.html", form=PersonForm())


@bp.post("/admin/privacy/export")
@admin_required
def admin_export():
    """Download everything held about one address as JSON (the email stays out of the URL)."""
    form = PersonForm()
    if not form.validate_on_submit():
        return render_template("privacy/admin.html", form=form), 422
    data = services.export_person(db.session, form.email.data)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="personal-data.json"', "Cache-Control": "no-store"},
    )


@bp.post("/admin/privacy/erase")
@admin_required
def admin_erase():
    """Erase one person's data across every event (requires the confirmation box)."""
    form = PersonForm()
    if not form.validate_on_submit() or not form.confirm.data:
        if form.is_submitted() and not form.errors:
            form.confirm.errors = [_("Tick the box to confirm the erasure.")]
        return render_template("privacy/admin.html", form=form), 422
    count = services.erase_person(db.session, form.email.data, now=utcnow(), user_id=current_user.id)
    db.session.commit()
    flash(_("Erased %(count)d registration(s) for that address.", count=count), "success")
    return redirect(url_for("privacy.admin_person"), code=303)


# --- Command ----------------------------------------------------------------------------

@bp.cli.command("erase-expired")
def erase_expired_command():
    """Run the retention erasure now (the worker also runs it every hour)."""
    from panel_app.privacy.jobs import erase_expired_personal_data

    count = erase_expired_personal_data()
    click.echo(f"erased {count} registration(s) past RETENTION_DAYS={current_app.config['RETENTION_DAYS']}")
