"""Console pages. Thin: parse the request, check access, call a service, render."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from panel_app.admin import bp, charts, services
from panel_app.admin.auth import client_ip, require_role
from panel_app.admin.filters import CHOICES, PER_PAGE_CHOICES, SORT_KEYS, RegistrationFilters, parse_filters
from panel_app.admin.forms import ActionForm, EventForm, MessageForm, RegistrationEditForm, UserCreateForm, UserEditForm
from panel_app.audit.services import audit_page, history_for_registration, record
from panel_app.core.after_commit import after_commit
from panel_app.core.templating import STATUS_LABELS
from panel_app.events.services import EventInputError
from panel_app.exports.registrations import registration_columns
from panel_app.exports.writers import csv_chunks, file_chunks, xlsx_temp_file
from panel_app.extensions import db
from panel_app.models import Event, EventStatus, User, UserRole, utcnow
from panel_app.registration.forms import AFFILIATION_LABELS, ROLE_LABELS


def _locale() -> str:
    return str(get_locale() or "en")


def _user() -> User:
    return current_user._get_current_object()


def _event_or_404(slug: str) -> Event:
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug)) if len(slug) <= 100 else None
    if event is None:
        abort(404)
    return event


# --------------------------------------------------------------------------- events


@bp.get("/")
def index():
    return redirect(url_for("admin.events"))


@bp.get("/events")
def events():
    return render_template("admin/events.html", summaries=services.event_summaries(db.session), action_form=ActionForm())


def _event_form_defaults(event: Event) -> dict:
    def local(instant):
        return instant.astimezone(event.zone).strftime("%Y-%m-%d %H:%M") if instant else ""

    return {
        "slug": event.slug, "title": event.title, "description": event.description, "audience": event.audience,
        "timezone": event.timezone, "start": local(event.starts_at), "end": local(event.ends_at),
        "languages": list(event.languages), "capacity": event.capacity, "approval_mode": event.approval_mode,
        "registration_opens": local(event.registration_opens_at), "registration_closes": local(event.registration_closes_at),
        "zoom_meeting_id": event.zoom_meeting_id or "", "zoom_webinar_id": event.zoom_webinar_id or "",
        "join_url": event.join_url or "", "organiser_name": event.organiser_name or "",
        "organiser_email": event.organiser_email or "",
    }


@bp.route("/events/new", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def event_new():
    form = EventForm(data=None if request.method == "POST" else {"timezone": current_app.config["DEFAULT_TIMEZONE"], "languages": ["en", "fr", "es"]})
    error = None
    if form.validate_on_submit():
        try:
            event = services.create_event(db.session, form.to_input(EventStatus.DRAFT), now=utcnow(), user=_user(), ip=client_ip())
        except EventInputError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Event created as a draft. Publish it when it is ready."), "success")
            return redirect(url_for("admin.dashboard", slug=event.slug), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/event_form.html", form=form, event=None, error=error), status


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def event_edit(slug: str):
    event = _event_or_404(slug)
    form = EventForm(data=None if request.method == "POST" else _event_form_defaults(event))
    error = None
    if form.validate_on_submit():
        data = form.to_input(event.status)
        data.translations = dict(event.translations or {})
        try:
            changes = services.update_event(db.session, event, data, now=utcnow(), user=_user(), ip=client_ip())
        except EventInputError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            if not changes:
                flash(_("Nothing changed."), "info")
            elif event.status == EventStatus.PUBLISHED and any(name in changes for name in services.INVITE_FIELDS):
                flash(_("Event saved. Registrants are being sent updated calendar invites."), "success")
            else:
                flash(_("Event saved."), "success")
            return redirect(url_for("admin.dashboard", slug=event.slug), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/event_form.html", form=form, event=event, error=error), status


def _checked_action_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.post("/events/<slug>/publish")
@require_role(UserRole.ORGANISER)
def event_publish(slug: str):
    _checked_action_form()
    event = _event_or_404(slug)
    if services.publish_event(db.session, event, now=utcnow(), user=_user(), ip=client_ip()):
        db.session.commit()
        flash(_("The event is published."), "success")
    else:
        flash(_("Only a draft can be published."), "error")
    return redirect(url_for("admin.dashboard", slug=event.slug), code=303)


@bp.post("/events/<slug>/cancel")
@require_role(UserRole.ORGANISER)
def event_cancel(slug: str):
    _checked_action_form()
    event = _event_or_404(slug)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the confirmation box to cancel the event."), "error")
        return redirect(url_for("admin.dashboard", slug=event.slug), code=303)
    if services.cancel_event(db.session, event, now=utcnow(), user=_user(), ip=client_ip()):
        db.session.commit()
        flash(_("The event is cancelled. Registrants are being sent cancellations."), "success")
    else:
        flash(_("The event was already cancelled."), "info")
    return redirect(url_for("admin.dashboard", slug=event.slug), code=303)


@bp.post("/events/<slug>/duplicate")
@require_role(UserRole.ORGANISER)
def event_duplicate(slug: str):
    _checked_action_form()
    event = _event_or_404(slug)
    copy = services.duplicate_event(db.session, event, now=utcnow(), user=_user(), ip=client_ip())
    db.session.commit()
    flash(_("A draft copy was created. Change its dates and address before publishing."), "success")
    return redirect(url_for("admin.event_edit", slug=copy.slug), code=303)


# --------------------------------------------------------------------------- dashboard


@bp.get("/events/<slug>")
def dashboard(slug: str):
    event = _event_or_404(slug)
    figures = services.dashboard(db.session, event, now=utcnow())
    affiliation_items = [(str(AFFILIATION_LABELS.get(k, k)), figures.affiliation.get(k, 0)) for k in CHOICES["affiliation_type"]]
    role_items = [(str(ROLE_LABELS.get(k, k)), figures.role.get(k, 0)) for k in CHOICES["role"]]
    status_items = [(str(STATUS_LABELS.get(k, k)), v) for k, v in figures.status.items()]
    chart_data = {
        "status": charts.horizontal_bars(status_items),
        "affiliation": charts.horizontal_bars(affiliation_items),
        "role": charts.horizontal_bars(role_items),
        "language": charts.horizontal_bars([(code, figures.language_confirmed.get(code, 0)) for code in event.languages]),
        "country": charts.horizontal_bars(figures.country[:15]),
        "over_time": charts.columns([(day, new) for day, new, _total in figures.over_time[-60:]]),
        "minutes": charts.horizontal_bars(figures.minutes),
    }
    return render_template(
        "admin/dashboard.html", event=event, figures=figures, charts=chart_data, action_form=ActionForm(),
        affiliation_items=affiliation_items, role_items=role_items, status_items=status_items,
    )


# --------------------------------------------------------------------------- registrations


def _filters_or_errors(event: Event) -> tuple[RegistrationFilters, list[str]]:
    return parse_filters(request.args, languages=list(event.languages))


def _list_context(event: Event, filters: RegistrationFilters) -> dict:
    return {
        "event": event, "filters": filters, "choices": CHOICES, "sort_keys": SORT_KEYS,
        "per_page_choices": PER_PAGE_CHOICES, "action_form": ActionForm(), "actions": services.ACTIONS,
    }


@bp.get("/events/<slug>/registrations")
def registrations(slug: str):
    event = _event_or_404(slug)
    filters, errors = _filters_or_errors(event)
    if errors:
        return render_template("admin/registrations.html", page=None, errors=errors, **_list_context(event, filters)), 400
    try:
        page = services.list_registrations(db.session, event, filters)
    except services.PageOutOfRange as exc:
        message = _("There is no page %(page)d: this list has %(pages)d page(s).", page=filters.page, pages=exc.pages)
        filters.page = exc.pages
        return render_template("admin/registrations.html", page=None, errors=[message], **_list_context(event, filters)), 404
    return render_template("admin/registrations.html", page=page, errors=[], **_list_context(event, filters))


def _selected_registrations(event: Event) -> list:
    ids = []
    for raw in request.form.getlist("ids")[: services.BULK_MAX + 1]:
        if raw.isascii() and raw.isdigit() and len(raw) < 12 and int(raw) <= MAX_ROW_ID:
            ids.append(int(raw))
    if len(ids) > services.BULK_MAX:
        abort(413)
    if not ids:
        return []
    from panel_app.models import Registration

    return list(db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id, Registration.id.in_(ids)).order_by(Registration.id)
    ).unique())


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
    _checked_action_form()
    event = _event_or_404(slug)
    action = request.form.get("action", "")
    if action not in services.ACTIONS:
        flash(_("Choose an action."), "error")
        return redirect(_back_to_list(event), code=303)
    selected = _selected_registrations(event)
    if not selected and action != "promote":
        flash(_("Select at least one registration."), "error")
        return redirect(_back_to_list(event), code=303)
    result = services.apply_action(db.session, event, selected, action, now=utcnow(), user=_user(), ip=client_ip())
    db.session.commit()
    _report(result)
    return redirect(_back_to_list(event), code=303)


#: Largest id a row can have (32-bit INTEGER keys on PostgreSQL): a larger one in a URL would
#: make the database driver raise (500) instead of finding nothing (404).
MAX_ROW_ID = 2**31 - 1


def _registration_or_404(event: Event, registration_id: int):
    if registration_id > MAX_ROW_ID:
        abort(404)
    registration = services.get_registration(db.session, event, registration_id)
    if registration is None:
        abort(404)
    return registration


@bp.get("/events/<slug>/registrations/<int:registration_id>")
def registration(slug: str, registration_id: int):
    event = _event_or_404(slug)
    item = _registration_or_404(event, registration_id)
    return render_template(
        "admin/registration.html", event=event, registration=item, action_form=ActionForm(),
        history=history_for_registration(db.session, item.id), actions=services.ACTIONS,
    )


@bp.post("/events/<slug>/registrations/<int:registration_id>/action")
@require_role(UserRole.ORGANISER)
def registration_action(slug: str, registration_id: int):
    _checked_action_form()
    event = _event_or_404(slug)
    item = _registration_or_404(event, registration_id)
    action = request.form.get("action", "")
    if action not in services.ACTIONS:
        abort(400)
    result = services.apply_action(db.session, event, [item], action, now=utcnow(), user=_user(), ip=client_ip())
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
    event = _event_or_404(slug)
    item = _registration_or_404(event, registration_id)
    form = RegistrationEditForm(obj=None if request.method == "POST" else item,
                                event_languages=list(event.languages), locale=_locale())
    error = None
    if form.validate_on_submit():
        try:
            changes = services.edit_registration(db.session, item, form.values(), now=utcnow(), user=_user(), ip=client_ip())
        except services.EditError as exc:
            db.session.rollback()
            error = EDIT_ERRORS.get((exc.field, exc.code), lambda: _("This value cannot be accepted."))()
        else:
            db.session.commit()
            flash(_("Details saved.") if changes else _("Nothing changed."), "success" if changes else "info")
            return redirect(url_for("admin.registration", slug=event.slug, registration_id=item.id), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/registration_edit.html", event=event, registration=item, form=form, error=error), status


@bp.get("/events/<slug>/participants")
def participants(slug: str):
    """Printable list of participants (confirmed): name, parliament or organisation, role."""
    event = _event_or_404(slug)
    filters = RegistrationFilters(status="confirmed", sort="name", dir="asc")
    rows = services.export_rows(db.session, event, filters)
    return render_template("admin/participants.html", event=event, rows=rows, role_labels=ROLE_LABELS)


# --------------------------------------------------------------------------- exports


def _export_filename(event: Event, extension: str) -> str:
    return f"{event.slug}-registrations-{utcnow().astimezone(event.zone):%Y%m%d-%H%M}.{extension}"


def _begin_export(event: Event, kind: str):
    filters, errors = _filters_or_errors(event)
    if errors:
        return None, (render_template("admin/registrations.html", page=None, errors=errors, **_list_context(event, filters)), 400)
    record(db.session, f"export.{kind}", actor=_user(), event_id=event.id, details={"filters": filters.selection()},
           ip=client_ip(), now=utcnow())
    db.session.commit()  # the audit entry stands even if the download is interrupted
    return filters, None


@bp.get("/events/<slug>/registrations.csv")
def export_csv(slug: str):
    event = _event_or_404(slug)
    filters, failure = _begin_export(event, "csv")
    if failure:
        return failure
    columns = registration_columns(event, _locale())
    rows = services.export_rows(db.session, event, filters)
    body = csv_chunks(columns, rows, zone=event.zone, yes=_("yes"), no=_("no"))
    response = Response(stream_with_context(body), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_export_filename(event, "csv")}"'
    return response


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/events/<slug>/registrations.xlsx")
def export_xlsx(slug: str):
    event = _event_or_404(slug)
    filters, failure = _begin_export(event, "xlsx")
    if failure:
        return failure
    columns = registration_columns(event, _locale())
    rows = services.export_rows(db.session, event, filters)
    # The workbook is assembled in a temporary file (a zip needs its end to write its
    # start), row by row in constant memory, then streamed and deleted.
    path = xlsx_temp_file(columns, rows, zone=event.zone, sheet_name=_("Registrations"))
    response = Response(file_chunks(path), mimetype=XLSX_MIME)
    response.headers["Content-Disposition"] = f'attachment; filename="{_export_filename(event, "xlsx")}"'
    return response


# --------------------------------------------------------------------------- messages


@bp.route("/events/<slug>/messages", methods=["GET", "POST"])
def messages(slug: str):
    event = _event_or_404(slug)
    filters, errors = _filters_or_errors(event)
    form = MessageForm()
    status = 200
    if errors:
        status = 400
    elif request.method == "POST":
        if not current_user.can(UserRole.ORGANISER):
            abort(403)
        if form.validate_on_submit():
            count = services.count_recipients(db.session, event, filters)
            if count == 0:
                flash(_("No one matches these filters: nothing was sent."), "error")
            else:
                from panel_app.admin.jobs import send_group_message

                message = services.create_group_message(
                    db.session, event, filters, subject=form.subject.data, body=form.body.data,
                    now=utcnow(), user=_user(), ip=client_ip(),
                )
                after_commit(db.session, send_group_message.enqueue, message.id)
                db.session.commit()
                flash(_("Message queued for %(n)d recipient(s).", n=message.recipient_count), "success")
                return redirect(url_for("admin.messages", slug=event.slug), code=303)
        status = 422
    count = None if errors else services.count_recipients(db.session, event, filters)
    return render_template(
        "admin/messages.html", event=event, form=form, filters=filters, errors=errors, recipient_count=count,
        sent=services.messages_for(db.session, event),
    ), status


# --------------------------------------------------------------------------- admin only


@bp.get("/audit")
@require_role(UserRole.ADMIN)
def audit():
    raw_page = request.args.get("page", "1")
    if not (raw_page.isascii() and raw_page.isdigit()) or len(raw_page) > 9 or int(raw_page) < 1:
        abort(400)
    action = (request.args.get("action") or "").strip()[:64]
    if "\x00" in action:  # PostgreSQL refuses NUL in text: a 400, not a 500
        abort(400)
    result = audit_page(db.session, page=int(raw_page), action=action or None)
    event_ids = {e.event_id for e in result.entries if e.event_id}
    slugs = dict(db.session.execute(sa.select(Event.id, Event.slug).where(Event.id.in_(event_ids)))) if event_ids else {}
    return render_template("admin/audit.html", result=result, action=action, slugs=slugs)


@bp.route("/users", methods=["GET", "POST"])
@require_role(UserRole.ADMIN)
def users():
    form = UserCreateForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.create_user(db.session, email=form.email.data, password=form.password.data, role=form.role.data,
                                 actor=_user(), ip=client_ip(), now=utcnow())
        except ValueError:
            db.session.rollback()
            form.email.errors.append(_("An account with this email address already exists."))
        else:
            db.session.commit()
            flash(_("Account created."), "success")
            return redirect(url_for("admin.users"), code=303)
    if form.is_submitted():
        status = 422
    accounts = list(db.session.scalars(sa.select(User).order_by(User.email)))
    edit_forms = {u.id: UserEditForm(prefix=f"u{u.id}", data={"role": u.role, "active": u.active}) for u in accounts}
    return render_template("admin/users.html", form=form, accounts=accounts, edit_forms=edit_forms, now=utcnow()), status


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
                                       unlock=form.unlock.data, actor=_user(), ip=client_ip(), now=utcnow())
    except ValueError:
        db.session.rollback()
        flash(_("You cannot remove your own administrator rights or disable your own account."), "error")
    else:
        db.session.commit()
        flash(_("Account updated.") if changes else _("Nothing changed."), "success" if changes else "info")
    return redirect(url_for("admin.users"), code=303)


@bp.app_template_global()
def list_url(slug: str, filters: RegistrationFilters, endpoint: str = "admin.registrations", **overrides) -> str:
    """URL of the list (or an export) with the current filters and some changes."""
    return url_for(endpoint, slug=slug, **filters.query_args(**overrides))


@bp.app_template_filter("local_dt")
def local_dt(instant: datetime | None, event: Event) -> str:
    if instant is None:
        return ""
    from panel_app.events.timefmt import zone_abbreviation

    local = instant.astimezone(event.zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}"


@bp.app_template_global()
def affiliation_label(code: str) -> str:
    return str(AFFILIATION_LABELS.get(code, code))


@bp.app_template_global()
def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))
