"""Console pages: an event's registrations (list, actions, detail, edit, exports, participants)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import (
    MAX_ROW_ID,
    checked_action_form,
    client_ip,
    current_account,
    event_or_404,
    locale,
    request_filters,
)
from panel_app.admin.forms import ActionForm
from panel_app.admin.registrations import services
from panel_app.admin.registrations.filters import CHOICES, PER_PAGE_CHOICES, SORT_KEYS, RegistrationFilters
from panel_app.admin.registrations.forms import RegistrationEditForm
from panel_app.audit.services import history_for_registration
from panel_app.exports import services as exports
from panel_app.extensions import db
from panel_app.models import Event, Registration, UserRole, utcnow
from panel_app.registration.forms import ROLE_LABELS


def _list_context(event: Event, filters: RegistrationFilters) -> dict:
    return {
        "event": event, "filters": filters, "choices": CHOICES, "sort_keys": SORT_KEYS,
        "per_page_choices": PER_PAGE_CHOICES, "action_form": ActionForm(),
    }


def _bad_filters_page(event: Event, filters: RegistrationFilters, errors: list[str], status: int):
    context = _list_context(event, filters)
    return render_template("admin/registrations.html", page=None, errors=errors, **context), status


@bp.get("/events/<slug>/registrations")
def registrations(slug: str):
    event = event_or_404(slug)
    filters, errors = request_filters(event)
    if errors:
        return _bad_filters_page(event, filters, errors, 400)
    try:
        page = services.list_registrations(db.session, event, filters)
    except services.PageOutOfRange as exc:
        message = _("There is no page %(page)d: this list has %(pages)d page(s).", page=filters.page, pages=exc.pages)
        filters.page = exc.pages
        return _bad_filters_page(event, filters, [message], 404)
    return render_template("admin/registrations.html", page=page, errors=[], **_list_context(event, filters))


def _selected_ids() -> list[int]:
    """The ticked rows' ids; ids no row can have are dropped, too many answer 413."""
    ids = []
    for raw in request.form.getlist("ids")[: services.BULK_MAX + 1]:
        if raw.isascii() and raw.isdigit() and len(raw) < 12 and int(raw) <= MAX_ROW_ID:
            ids.append(int(raw))
    if len(ids) > services.BULK_MAX:
        abort(413)
    return ids


ACTION_MESSAGES = {
    "approve": lambda n: _("%(n)d registration(s) approved.", n=n),
    "decline": lambda n: _("%(n)d registration(s) declined.", n=n),
    "cancel": lambda n: _("%(n)d registration(s) cancelled.", n=n),
    "promote": lambda n: _("%(n)d person(s) moved from the waiting list.", n=n),
    "resend_invite": lambda n: _("Invite queued again for %(n)d registration(s).", n=n),
    "mark_attended": lambda n: _("%(n)d registration(s) marked as attended.", n=n),
    "mark_absent": lambda n: _("%(n)d registration(s) marked as absent.", n=n),
}


def _report(result: services.ActionResult) -> None:
    count = len(result.promoted) if result.action == "promote" else len(result.changed)
    flash(ACTION_MESSAGES[result.action](count), "success" if count else "info")
    if result.unchanged and result.action != "promote":
        flash(_("%(n)d left unchanged because their status does not allow it (or it was already done).",
                n=len(result.unchanged)), "info")


def _back_to_list(event: Event) -> str:
    target = request.form.get("back") or ""
    prefix = url_for("admin.registrations", slug=event.slug)
    return target if target.startswith(prefix) and "\\" not in target and len(target) < 3000 else prefix


@bp.post("/events/<slug>/registrations/bulk")
@require_role(UserRole.ORGANISER)
def bulk_action(slug: str):
    checked_action_form()
    event = event_or_404(slug)
    action = request.form.get("action", "")
    if action not in services.ACTIONS:
        flash(_("Choose an action."), "error")
        return redirect(_back_to_list(event), code=303)
    selected = services.registrations_by_id(db.session, event, _selected_ids())
    if not selected and action != "promote":
        flash(_("Select at least one registration."), "error")
        return redirect(_back_to_list(event), code=303)
    result = services.apply_action(db.session, event, selected, action, now=utcnow(), user=current_account(),
                                   ip=client_ip())
    db.session.commit()
    _report(result)
    return redirect(_back_to_list(event), code=303)


def _registration_or_404(event: Event, registration_id: int) -> Registration:
    if registration_id > MAX_ROW_ID:
        abort(404)
    registration = services.get_registration(db.session, event, registration_id)
    if registration is None:
        abort(404)
    return registration


@bp.get("/events/<slug>/registrations/<int:registration_id>")
def registration(slug: str, registration_id: int):
    event = event_or_404(slug)
    item = _registration_or_404(event, registration_id)
    return render_template(
        "admin/registration.html", event=event, registration=item, action_form=ActionForm(),
        history=history_for_registration(db.session, item.id),
    )


@bp.post("/events/<slug>/registrations/<int:registration_id>/action")
@require_role(UserRole.ORGANISER)
def registration_action(slug: str, registration_id: int):
    checked_action_form()
    event = event_or_404(slug)
    item = _registration_or_404(event, registration_id)
    action = request.form.get("action", "")
    if action not in services.ACTIONS:
        abort(400)
    result = services.apply_action(db.session, event, [item], action, now=utcnow(), user=current_account(),
                                   ip=client_ip())
    db.session.commit()
    _report(result)
    return redirect(url_for("admin.registration", slug=event.slug, registration_id=item.id), code=303)


EDIT_ERRORS = {
    ("email", "taken"): lambda: _("Another registration for this event already uses this email address."),
    ("language", "not_offered"): lambda: _("This event does not offer that language."),
    ("country", "unknown"): lambda: _("Choose a country from the list."),
}


@bp.route("/events/<slug>/registrations/<int:registration_id>/edit", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def registration_edit(slug: str, registration_id: int):
    event = event_or_404(slug)
    item = _registration_or_404(event, registration_id)
    form = RegistrationEditForm(obj=None if request.method == "POST" else item,
                                event_languages=list(event.languages), locale=locale())
    error = None
    if form.validate_on_submit():
        try:
            changes = services.edit_registration(db.session, item, form.values(), now=utcnow(),
                                                 user=current_account(), ip=client_ip())
        except services.EditError as exc:
            db.session.rollback()
            error = EDIT_ERRORS.get((exc.field, exc.code), lambda: _("This value cannot be accepted."))()
        else:
            db.session.commit()
            flash(_("Details saved.") if changes else _("Nothing changed."), "success" if changes else "info")
            return redirect(url_for("admin.registration", slug=event.slug, registration_id=item.id), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/registration_edit.html", event=event, registration=item, form=form,
                           error=error), status


@bp.get("/events/<slug>/participants")
def participants(slug: str):
    """Printable list of participants (confirmed): name, parliament or organisation, role."""
    event = event_or_404(slug)
    filters = RegistrationFilters(status="confirmed", sort="name", dir="asc")
    rows = services.export_rows(db.session, event, filters)
    return render_template("admin/participants.html", event=event, rows=rows, role_labels=ROLE_LABELS)


def _export(slug: str, kind: str):
    event = event_or_404(slug)
    filters, errors = request_filters(event)
    if errors:
        return _bad_filters_page(event, filters, errors, 400)
    export = exports.export_registrations(
        db.session, event, services.export_rows(db.session, event, filters), kind=kind,
        selection=filters.selection(), locale=locale(), user=current_account(), ip=client_ip(), now=utcnow(),
    )
    db.session.commit()  # the audit entry stands even if the download is interrupted
    response = Response(stream_with_context(export.open()), content_type=export.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@bp.get("/events/<slug>/registrations.csv")
def export_csv(slug: str):
    return _export(slug, "csv")


@bp.get("/events/<slug>/registrations.xlsx")
def export_xlsx(slug: str):
    return _export(slug, "xlsx")
