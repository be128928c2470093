"""Console pages: an event's registrations (list, actions, detail, edit, exports, participants)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

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
from panel_app.admin.registrations import edits, services
from panel_app.admin.registrations.filters import CHOICES, PER_PAGE_CHOICES, SORT_KEYS, RegistrationFilters
from panel_app.admin.registrations.forms import AddRegistrationForm, RegistrationEditForm
from panel_app.admin.registrations.history import person_history
from panel_app.attendance import services as attendance_services
from panel_app.core.templating import STATUS_LABELS
from panel_app.exports import services as exports
from panel_app.extensions import db
from panel_app.models import Event, Registration, UserRole, utcnow
from panel_app.registration import services as registration_services
from panel_app.registration.countries import country_choices
from panel_app.registration.forms import ROLE_LABELS


def _list_context(event: Event, filters: RegistrationFilters) -> dict:
    return {
        "event": event, "filters": filters, "choices": CHOICES, "sort_keys": SORT_KEYS,
        "per_page_choices": PER_PAGE_CHOICES, "action_form": ActionForm(),
        "country_options": country_choices(locale()),
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


#: What a change came to, as the organiser reads it ("3 approved and confirmed").
OUTCOME_MESSAGES = {
    "approve:confirmed": lambda n: ngettext("%(num)d approved and confirmed", "%(num)d approved and confirmed", n),
    "approve:waitlisted": lambda n: ngettext(
        "%(num)d approved and placed on the waiting list (no free seat)",
        "%(num)d approved and placed on the waiting list (no free seat)", n),
    "decline:declined": lambda n: ngettext("%(num)d declined", "%(num)d declined", n),
    "cancel:cancelled": lambda n: ngettext("%(num)d cancelled", "%(num)d cancelled", n),
    "confirm:confirmed": lambda n: ngettext("%(num)d given a seat", "%(num)d given a seat", n),
    "confirm_over_capacity:confirmed": lambda n: ngettext(
        "%(num)d confirmed over capacity", "%(num)d confirmed over capacity", n),
    "reinstate:confirmed": lambda n: ngettext("%(num)d reinstated and confirmed", "%(num)d reinstated and confirmed",
                                              n),
    "reinstate:waitlisted": lambda n: ngettext(
        "%(num)d reinstated and placed on the waiting list (no free seat)",
        "%(num)d reinstated and placed on the waiting list (no free seat)", n),
    "promote": lambda n: ngettext("%(num)d person moved from the waiting list",
                                  "%(num)d people moved from the waiting list", n),
    "resend_invite": lambda n: ngettext("invite queued again for %(num)d person",
                                        "invite queued again for %(num)d people", n),
    "mark_attended": lambda n: ngettext("%(num)d marked as attended", "%(num)d marked as attended", n),
    "mark_absent": lambda n: ngettext("%(num)d marked as absent", "%(num)d marked as absent", n),
}
#: Why a registration was left as it was.
REASON_MESSAGES = {
    "status_pending": lambda n: ngettext("%(num)d still awaiting approval", "%(num)d still awaiting approval", n),
    "status_confirmed": lambda n: ngettext("%(num)d already confirmed", "%(num)d already confirmed", n),
    "status_waitlisted": lambda n: ngettext("%(num)d on the waiting list", "%(num)d on the waiting list", n),
    "status_declined": lambda n: ngettext("%(num)d already declined", "%(num)d already declined", n),
    "status_cancelled": lambda n: ngettext("%(num)d already cancelled", "%(num)d already cancelled", n),
    "no_free_seat": lambda n: ngettext("%(num)d without a free seat", "%(num)d without a free seat", n),
    "not_waitlisted": lambda n: ngettext("%(num)d not on the waiting list", "%(num)d not on the waiting list", n),
    "not_confirmed": lambda n: ngettext("%(num)d not confirmed", "%(num)d not confirmed", n),
    "event_not_started": lambda n: ngettext(
        "%(num)d not marked: attendance can be marked once the event has started",
        "%(num)d not marked: attendance can be marked once the event has started", n),
    "already_marked": lambda n: ngettext("%(num)d already marked so", "%(num)d already marked so", n),
    "invite_not_allowed": lambda n: ngettext("%(num)d without an invite to send (the event is cancelled)",
                                             "%(num)d without an invite to send (the event is cancelled)", n),
}


def report_lines(result: services.ActionResult) -> tuple[str | None, str | None]:
    """(what changed, what did not and why) as sentences in the organiser's language."""
    done = [OUTCOME_MESSAGES[key](count) for key, count in sorted(result.outcomes.items())
            if count and key in OUTCOME_MESSAGES]
    if result.action in ("cancel", "decline") and result.promoted:
        n = len(result.promoted)
        done.append(ngettext("%(num)d moved up from the waiting list into the freed seat",
                             "%(num)d moved up from the waiting list into the freed seats", n))
    left = [REASON_MESSAGES.get(reason, lambda n: ngettext("%(num)d unchanged", "%(num)d unchanged", n))(count)
            for reason, count in sorted(result.reasons.items())]
    changed = (_("Done: %(list)s.", list=", ".join(done)) if done else _("Nothing changed."))
    unchanged = _("Left as they were: %(list)s.", list=", ".join(left)) if left else None
    return changed, unchanged


def _report(result: services.ActionResult) -> None:
    changed, unchanged = report_lines(result)
    flash(changed, "success" if result.outcomes else "info")
    if unchanged:
        flash(unchanged, "info")


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
    now = utcnow()
    return render_template(
        "admin/registration.html", event=event, registration=item, action_form=ActionForm(),
        history=person_history(db.session, item),
        free_seats=registration_services.free_seats(event.capacity,
                                                    registration_services.seats_taken(db.session, event.id)),
        attendance_refused=services.attendance_markable(item, now),
        stays=attendance_services.sessions_of(db.session, item, now=now),
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
            outcome = edits.edit_registration(db.session, item, form.values(), now=utcnow(),
                                                 user=current_account(), secret_key=current_app.config["SECRET_KEY"],
                                                 ip=client_ip())
        except edits.EditError as exc:
            db.session.rollback()
            error = EDIT_ERRORS.get((exc.field, exc.code), lambda: _("This value cannot be accepted."))()
        else:
            db.session.commit()
            if outcome.registration.id != item.id:
                flash(_("Details saved. The registration now uses the new address: the old one was sent the "
                        "withdrawal of the invite, the new one gets the invite and join link."), "success")
            else:
                flash(_("Details saved.") if outcome.changes else _("Nothing changed."),
                      "success" if outcome.changes else "info")
            return redirect(url_for("admin.registration", slug=event.slug, registration_id=outcome.registration.id),
                            code=303)
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


ADD_REFUSALS = {
    "cancelled": lambda: _("This event is cancelled: nobody can be added."),
    "over": lambda: _("The event is over: add the person without the confirmation email."),
}


@bp.route("/events/<slug>/registrations/new", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def registration_new(slug: str):
    """An organiser registers someone by hand (a speaker, a late request by phone)."""
    event = event_or_404(slug)
    form = AddRegistrationForm(event_languages=list(event.languages), locale=locale())
    if not form.is_submitted() and len(event.languages) == 1:
        form.language.data = event.languages[0]
    error = existing = None
    if form.validate_on_submit():
        try:
            added = edits.add_registration(
                db.session, event, form.values(), notify=bool(form.notify.data),
                over_capacity=form.placement.data == "confirm", now=utcnow(), user=current_account(),
                secret_key=current_app.config["SECRET_KEY"], ip=client_ip(),
            )
        except registration_services.AlreadyRegistered as exc:
            db.session.rollback()
            existing = exc.registration
            error = _("This address is already registered for this event.")
        except edits.EditError as exc:
            db.session.rollback()
            error = EDIT_ERRORS.get((exc.field, exc.code), lambda: _("This value cannot be accepted."))()
        except ValueError:
            db.session.rollback()
            error = ADD_REFUSALS["cancelled" if event.status == "cancelled" else "over"]()
        else:
            db.session.commit()
            flash(_("%(name)s is registered: %(status)s.", name=added.full_name,
                    status=status_label(added.status)), "success")
            return redirect(url_for("admin.registration", slug=event.slug, registration_id=added.id), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/registration_new.html", event=event, form=form, error=error,
                           existing=existing), status


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))
