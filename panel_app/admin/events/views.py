"""Console pages: the events list and an event's lifecycle (new, edit, publish, cancel, duplicate)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import checked_action_form, client_ip, current_account, event_or_404
from panel_app.admin.events.forms import EventForm, event_form_data, new_event_data, timezone_names
from panel_app.admin.forms import ActionForm
from panel_app.events import services
from panel_app.events.overview import events_overview
from panel_app.extensions import db
from panel_app.models import EventStatus, UserRole, utcnow


@bp.get("/")
def index():
    return redirect(url_for("admin.events"))


@bp.get("/events")
def events():
    overview = events_overview(db.session, utcnow())
    return render_template("admin/events.html", overview=overview, action_form=ActionForm())


def _form_page(form: EventForm, event, error: str | None, status: int, needs: dict | None = None):
    return render_template("admin/event_form.html", form=form, event=event, error=error, needs=needs or {},
                           timezones=timezone_names(),
                           public_base=current_app.config["BASE_URL"].rstrip("/") + "/events/"), status


@bp.route("/events/new", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def event_new():
    form = EventForm(data=None if request.method == "POST" else new_event_data(current_app.config["DEFAULT_TIMEZONE"]))
    error = None
    if form.validate_on_submit():
        try:
            event = services.create_event(db.session, form.to_input(EventStatus.DRAFT), user=current_account(),
                                          ip=client_ip(), now=utcnow())
        except services.EventInputError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Event created as a draft. Publish it when it is ready."), "success")
            return redirect(url_for("admin.dashboard", slug=event.slug), code=303)
    return _form_page(form, None, error, 422 if form.is_submitted() else 200)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def event_edit(slug: str):
    event = event_or_404(slug)
    form = EventForm(data=None if request.method == "POST" else event_form_data(event))
    error = None
    needs: dict = {}
    if form.validate_on_submit():
        data = form.to_input(event.status)
        try:
            changes = services.update_event(db.session, event, data, now=utcnow(), user=current_account(),
                                            ip=client_ip(), accept_over_capacity=bool(form.keep_over_capacity.data),
                                            accept_past=bool(form.accept_past.data))
        except services.EventInputError as exc:
            db.session.rollback()
            error = str(exc)
        except services.ConfirmationNeeded as exc:
            db.session.rollback()
            needs = {exc.code: exc.info}
        else:
            db.session.commit()
            if not changes:
                flash(_("Nothing changed."), "info")
            elif event.status == EventStatus.PUBLISHED and any(name in changes for name in services.INVITE_FIELDS):
                flash(_("Event saved. Registrants are being sent updated calendar invites."), "success")
            else:
                flash(_("Event saved."), "success")
            return redirect(url_for("admin.dashboard", slug=event.slug), code=303)
    return _form_page(form, event, error, 422 if form.is_submitted() else 200, needs)


@bp.post("/events/<slug>/publish")
@require_role(UserRole.ORGANISER)
def event_publish(slug: str):
    checked_action_form()
    event = event_or_404(slug)
    try:
        published = services.publish_event(db.session, event, now=utcnow(), user=current_account(), ip=client_ip())
    except services.EventInputError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.dashboard", slug=event.slug), code=303)
    if published:
        db.session.commit()
        flash(_("The event is published."), "success")
    else:
        flash(_("Only a draft can be published."), "error")
    return redirect(url_for("admin.dashboard", slug=event.slug), code=303)


@bp.post("/events/<slug>/cancel")
@require_role(UserRole.ORGANISER)
def event_cancel(slug: str):
    checked_action_form()
    event = event_or_404(slug)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the confirmation box to cancel the event."), "error")
        return redirect(url_for("admin.dashboard", slug=event.slug), code=303)
    try:
        cancelled = services.cancel_event(db.session, event, now=utcnow(), user=current_account(), ip=client_ip())
    except services.EventInputError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.dashboard", slug=event.slug), code=303)
    if cancelled:
        db.session.commit()
        flash(_("The event is cancelled. Registrants are being sent cancellations."), "success")
    else:
        flash(_("The event was already cancelled."), "info")
    return redirect(url_for("admin.dashboard", slug=event.slug), code=303)


@bp.post("/events/<slug>/duplicate")
@require_role(UserRole.ORGANISER)
def event_duplicate(slug: str):
    checked_action_form()
    event = event_or_404(slug)
    copy = services.duplicate_event(db.session, event, now=utcnow(), user=current_account(), ip=client_ip())
    db.session.commit()
    flash(_("A draft copy was created. Change its dates and address before publishing."), "success")
    return redirect(url_for("admin.event_edit", slug=copy.slug), code=303)
