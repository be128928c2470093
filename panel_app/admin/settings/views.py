"""Console page: the organisation's identity (administrators only)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import client_ip, current_account, locale
from panel_app.admin.settings.forms import ERROR_MESSAGES, IdentityForm, form_data
from panel_app.extensions import db
from panel_app.models import SETTINGS_ID, IdentitySettings, UserRole, utcnow
from panel_app.organisation import services
from panel_app.organisation.services import build_identity


@bp.route("/settings", methods=["GET", "POST"])
@require_role(UserRole.ADMIN)
def settings():
    row = db.session.get(IdentitySettings, SETTINGS_ID)
    form = IdentityForm(data=None if request.method == "POST" else form_data(row))
    status = 200
    if form.validate_on_submit():
        upload = form.logo.data
        logo = upload.read(services.LOGO_MAX_BYTES + 1) if upload and getattr(upload, "filename", "") else None
        try:
            changed = services.update_settings(db.session, form.to_input(), logo=logo,
                                               remove_logo=form.remove_logo.data, actor=current_account(),
                                               ip=client_ip(), now=utcnow())
        except services.IdentityError as exc:
            db.session.rollback()
            for name, code in exc.errors.items():
                getattr(form, name).errors.append(str(ERROR_MESSAGES.get(code, code)))
        else:
            db.session.commit()
            flash(_("Settings saved.") if changed else _("Nothing changed."), "success" if changed else "info")
            return redirect(url_for("admin.settings"), code=303)
    if form.is_submitted():
        status = 422
    defaults = build_identity(None, current_app.config, locale())
    return render_template("admin/settings/identity.html", form=form, row=row, defaults=defaults,
                           current=services.identity(db.session, locale())), status
