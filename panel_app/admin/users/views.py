"""Console pages: accounts (administrators only)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import MAX_ROW_ID, client_ip, current_account
from panel_app.admin.users import services
from panel_app.admin.users.forms import INVALID_EMAIL_MESSAGE, PASSWORD_LENGTH_MESSAGE, UserCreateForm, UserEditForm
from panel_app.extensions import db
from panel_app.models import User, UserRole, utcnow


@bp.route("/users", methods=["GET", "POST"])
@require_role(UserRole.ADMIN)
def users():
    form = UserCreateForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.create_user(db.session, email=form.email.data, password=form.password.data, role=form.role.data,
                                 actor=current_account(), ip=client_ip(), now=utcnow())
        except services.AccountError as exc:
            db.session.rollback()
            if exc.code == "taken":
                form.email.errors.append(_("An account with this email address already exists."))
            elif exc.code == "password":
                form.password.errors.append(str(PASSWORD_LENGTH_MESSAGE))
            else:
                form.email.errors.append(str(INVALID_EMAIL_MESSAGE))
        else:
            db.session.commit()
            flash(_("Account created."), "success")
            return redirect(url_for("admin.users"), code=303)
    if form.is_submitted():
        status = 422
    accounts = services.accounts(db.session)
    edit_forms = {u.id: UserEditForm(prefix=f"u{u.id}", data={"role": u.role, "active": u.active}) for u in accounts}
    failures = services.failed_sign_ins(db.session, accounts, secret_key=current_app.config["SECRET_KEY"],
                                        now=utcnow())
    return render_template("admin/users.html", form=form, accounts=accounts, edit_forms=edit_forms,
                           failures=failures), status


@bp.post("/users/<int:user_id>")
@require_role(UserRole.ADMIN)
def user_edit(user_id: int):
    account = db.session.get(User, user_id) if user_id <= MAX_ROW_ID else None
    if account is None:
        abort(404)
    form = UserEditForm(prefix=f"u{user_id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        changes = services.update_user(db.session, account, role=form.role.data, active=form.active.data,
                                       unlock=form.unlock.data, actor=current_account(),
                                       secret_key=current_app.config["SECRET_KEY"], ip=client_ip(), now=utcnow())
    except ValueError:
        db.session.rollback()
        flash(_("You cannot remove your own administrator rights or disable your own account."), "error")
    else:
        db.session.commit()
        flash(_("Account updated.") if changes else _("Nothing changed."), "success" if changes else "info")
    return redirect(url_for("admin.users"), code=303)
