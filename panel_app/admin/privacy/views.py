"""Console pages: export or erase everything held about one email address (administrators).

The URLs (`/admin/privacy`, `/admin/privacy/export`, `/admin/privacy/erase`) are the ones
these pages always had; as console pages they get the console's sign-in and access rule.
"""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import current_account
from panel_app.extensions import db
from panel_app.models import UserRole, utcnow
from panel_app.privacy import services
from panel_app.privacy.forms import PersonForm


@bp.get("/privacy")
@require_role(UserRole.ADMIN)
def privacy():
    return render_template("admin/privacy.html", form=PersonForm())


@bp.post("/privacy/export")
@require_role(UserRole.ADMIN)
def privacy_export():
    """Download everything held about one address as JSON (the email stays out of the URL)."""
    form = PersonForm()
    if not form.validate_on_submit():
        return render_template("admin/privacy.html", form=form), 422
    data = services.export_person(db.session, form.email.data)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="personal-data.json"', "Cache-Control": "no-store"},
    )


@bp.post("/privacy/erase")
@require_role(UserRole.ADMIN)
def privacy_erase():
    """Erase one person's data across every event (requires the confirmation box)."""
    form = PersonForm()
    if not form.validate_on_submit() or not form.confirm.data:
        if form.is_submitted() and not form.errors:
            form.confirm.errors = [_("Tick the box to confirm the erasure.")]
        return render_template("admin/privacy.html", form=form), 422
    count = services.erase_person(db.session, form.email.data, now=utcnow(), user_id=current_account().id)
    db.session.commit()
    flash(_("Erased %(count)d registration(s) for that address.", count=count), "success")
    return redirect(url_for("admin.privacy"), code=303)
