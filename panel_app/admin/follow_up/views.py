"""Console page: the follow-up answers of an event, per parliament and per action, and their exports."""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context
from flask_babel import gettext as _

from panel_app.admin.blueprint import bp
from panel_app.admin.common import client_ip, current_account, event_or_404, locale
from panel_app.directory import follow_up as services
from panel_app.exports import directory as exports
from panel_app.extensions import db
from panel_app.models import utcnow

#: The per-parliament list's filter: everyone asked, those who answered, those who did not yet.
ANSWERED = {"yes": True, "no": False}


@bp.get("/events/<slug>/follow-up")
def follow_up(slug: str):
    event = event_or_404(slug)
    shown = request.args.get("answered", "")
    errors = []
    if shown and shown not in ANSWERED:
        errors.append(_("“%(filter)s”: this value is not one of the choices; the filter was left out.",
                        filter=_("Answered")))
        shown = ""
    overview = services.overview(db.session, event)
    reports = overview.reports
    if shown:
        reports = [r for r in reports if (r.submitted_at is not None) is ANSWERED[shown]]
    return render_template(
        "admin/follow_up.html", event=event, overview=overview, reports=reports, shown=shown, errors=errors,
        taken_actions=services.taken_actions, action_label=services.action_label,
    ), 400 if errors else 200


def _export(slug: str, kind: str):
    event = event_or_404(slug)
    export = exports.export_follow_up(db.session, event, services.reports_for(db.session, event), kind=kind,
                                      locale=locale(), user=current_account(), ip=client_ip(), now=utcnow())
    db.session.commit()  # the audit entry stands even if the download is interrupted
    response = Response(stream_with_context(export.open()), content_type=export.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@bp.get("/events/<slug>/follow-up.csv")
def follow_up_csv(slug: str):
    return _export(slug, "csv")


@bp.get("/events/<slug>/follow-up.xlsx")
def follow_up_xlsx(slug: str):
    return _export(slug, "xlsx")
