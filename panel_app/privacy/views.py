"""Erasure from the registrant's private page, and the retention command.

The admins' per-person export and erasure are console pages: `panel_app/admin/privacy/`.
"""

from __future__ import annotations

import click
from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from panel_app.extensions import csrf, db
from panel_app.models import utcnow
from panel_app.privacy import services
from panel_app.privacy.forms import EraseOwnForm
from panel_app.privacy.notice import processors
from panel_app.registration.services import find_by_token
from panel_app.security import rate_limit

bp = Blueprint("privacy", __name__, cli_group="privacy")


def _registration_or_404(token: str):
    registration = find_by_token(db.session, token)
    if registration is None or services.is_erased(registration):
        abort(404)
    return registration


@bp.get("/privacy")
def notice():
    """The privacy notice: controller, contact, legal basis, retention, outside processors."""
    config = current_app.config
    return render_template("privacy/notice.html", version=config["PRIVACY_NOTICE_VERSION"],
                           retention_days=config["RETENTION_DAYS"], processors=processors(config))


@bp.get("/registrations/<token>/erase")
def erase(token: str):
    """Explain what erasure means and ask for confirmation."""
    registration = _registration_or_404(token)
    return render_template("privacy/erase_confirm.html", registration=registration, event=registration.event,
                           token=token, form=EraseOwnForm())


@bp.post("/registrations/<token>/erase")
@csrf.exempt  # validated by the form itself, so an expired form is explained instead of a bare 400
@rate_limit("RATELIMIT_ERASE")
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


@bp.cli.command("erase-expired")
def erase_expired_command():
    """Run the retention erasure now (the worker also runs it every hour)."""
    from panel_app.privacy.jobs import erase_expired_personal_data

    count = erase_expired_personal_data()
    click.echo(f"erased {count} registration(s) past RETENTION_DAYS={current_app.config['RETENTION_DAYS']}")
