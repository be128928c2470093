"""Console pages: an event's attendance, its walk-ins and matching one to a registration."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from panel_app.admin.attendance import services
from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import (
    MAX_ROW_ID,
    checked_action_form,
    client_ip,
    current_account,
    event_or_404,
)
from panel_app.admin.dashboard.services import dashboard
from panel_app.admin.forms import ActionForm
from panel_app.admin.registrations.filters import SEARCH_MAX
from panel_app.admin.registrations.services import get_registration
from panel_app.attendance import walk_ins as attendance
from panel_app.exports import services as exports
from panel_app.extensions import db
from panel_app.models import Event, UserRole, WalkIn, utcnow

MATCH_REFUSALS = {
    "other_event": lambda: _("That registration belongs to another event."),
    "already_matched": lambda: _("This walk-in was already matched."),
    "not_confirmed": lambda: _("Only a confirmed registration can be matched: confirm the person first."),
}


@bp.get("/events/<slug>/attendance")
def attendance_page(slug: str):
    event = event_or_404(slug)
    figures = dashboard(db.session, event, now=utcnow())
    return render_template(
        "admin/attendance.html", event=event, figures=figures,
        walk_ins=attendance.walk_ins(db.session, event),
        matched=attendance.matched_walk_ins(db.session, event),
    )


def _walk_in_or_404(event: Event, walk_in_id: int) -> WalkIn:
    found = services.walk_in(db.session, event, walk_in_id) if walk_in_id <= MAX_ROW_ID else None
    if found is None:
        abort(404)
    return found


@bp.get("/events/<slug>/attendance/walk-ins/<int:walk_in_id>")
def walk_in_match(slug: str, walk_in_id: int):
    """Find the registration a walk-in is: search confirmed registrations, pick one."""
    event = event_or_404(slug)
    found = _walk_in_or_404(event, walk_in_id)
    q = (request.args.get("q") if "q" in request.args else services.suggested_search(found)) or ""
    q = q.strip()
    error = None
    if len(q) > SEARCH_MAX or any(ord(ch) < 32 for ch in q):
        error = _("The search text is too long or contains characters that cannot be searched for.")
        q = ""
    people = services.candidates(db.session, event, q) if q else []
    return render_template("admin/walk_in_match.html", event=event, walk_in=found, q=q, people=people, error=error,
                           action_form=ActionForm(), matched=found.matched_registration_id is not None,
                           limit=services.CANDIDATES_MAX), 400 if error else 200


@bp.post("/events/<slug>/attendance/walk-ins/<int:walk_in_id>/match")
@require_role(UserRole.ORGANISER)
def walk_in_match_post(slug: str, walk_in_id: int):
    checked_action_form()
    event = event_or_404(slug)
    found = _walk_in_or_404(event, walk_in_id)
    raw = request.form.get("registration_id", "")
    registration = None
    if raw.isascii() and raw.isdigit() and len(raw) < 12 and int(raw) <= MAX_ROW_ID:
        registration = get_registration(db.session, event, int(raw))
    if registration is None:
        flash(_("Choose the registration this person is."), "error")
        return redirect(url_for("admin.walk_in_match", slug=event.slug, walk_in_id=found.id), code=303)
    label = found.name or found.email
    try:
        moved = services.match(db.session, event, found, registration, now=utcnow(), user=current_account(),
                               ip=client_ip())
    except attendance.MatchRefused as exc:
        db.session.rollback()
        flash(MATCH_REFUSALS[exc.code](), "error")
        return redirect(url_for("admin.walk_in_match", slug=event.slug, walk_in_id=walk_in_id), code=303)
    db.session.commit()
    flash(_("%(walk_in)s is now counted as %(name)s (%(n)d stay(s) moved).", walk_in=label,
            name=registration.full_name, n=moved), "success")
    return redirect(url_for("admin.attendance_page", slug=event.slug), code=303)


@bp.get("/events/<slug>/walk-ins.csv")
def export_walk_ins(slug: str):
    event = event_or_404(slug)
    export = exports.export_walk_ins(db.session, event, user=current_account(), ip=client_ip(),
                                     now=utcnow())
    db.session.commit()
    response = Response(stream_with_context(export.open()), content_type=export.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
