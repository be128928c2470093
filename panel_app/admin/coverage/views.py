"""Console page: an event's coverage of the directory (counts, the list with each parliament's
registration link, exports), and making the registration links that do not exist yet."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from panel_app.admin.blueprint import bp
from panel_app.admin.common import checked_action_form, client_ip, current_account, event_or_404, locale
from panel_app.admin.forms import ActionForm
from panel_app.audit.services import record
from panel_app.directory import coverage as services
from panel_app.exports import directory as exports
from panel_app.extensions import db
from panel_app.models import AffiliationType, Event, utcnow

FILTER_NAMES = {"reached": lambda: _("Represented"), "region": lambda: _("Region"),
                "affiliation": lambda: _("Affiliation"), "dir": lambda: _("Order")}


def _filters(event: Event):
    """The list's filters from the query string, with a message per value not understood."""
    filters, bad = services.parse_filters(request.args, known_regions=services.regions(db.session))
    errors = [_("“%(filter)s”: this value is not one of the choices; the filter was left out.",
                filter=FILTER_NAMES[name]()) for name in bad]
    return filters, errors


def registration_link(event: Event, token: str) -> str:
    """A parliament's registration link as it is handed out (absolute, on the public address)."""
    path = url_for("registration.register", slug=event.slug, invitation=token)
    return current_app.config["BASE_URL"].rstrip("/") + path


@bp.get("/events/<slug>/coverage")
def coverage(slug: str):
    event = event_or_404(slug)
    filters, errors = _filters(event)
    rows = services.coverage(db.session, event)
    tokens = services.invitation_tokens(db.session, event)
    return render_template(
        "admin/coverage.html", event=event, filters=filters, errors=errors, summary=services.summary(rows),
        rows=services.filtered(rows, filters), total=len(rows), links={k: registration_link(event, v)
                                                                        for k, v in tokens.items()},
        missing_links=sum(1 for r in rows if r.organisation.id not in tokens),
        regions=services.regions(db.session), reached_choices=services.REACHED,
        affiliations=[a.value for a in AffiliationType], action_form=ActionForm(),
    ), 400 if errors else 200


@bp.post("/events/<slug>/coverage/links")
def coverage_make_links(slug: str):
    """Give every parliament without one its registration link for the event (organisers)."""
    event = event_or_404(slug)
    checked_action_form()
    made = services.make_invitation_links(db.session, event)
    if made:
        record(db.session, "coverage.links", actor=current_account(), event_id=event.id, details={"made": made},
               ip=client_ip(), now=utcnow())
    db.session.commit()
    if made:
        flash(ngettext("%(num)d registration link made.", "%(num)d registration links made.", made), "success")
    else:
        flash(_("Every parliament already has its registration link."), "info")
    return redirect(url_for("admin.coverage", slug=event.slug), code=303)


def _export(slug: str, kind: str):
    event = event_or_404(slug)
    filters, errors = _filters(event)
    if errors:
        return coverage(slug)
    rows = services.filtered(services.coverage(db.session, event), filters)
    tokens = services.invitation_tokens(db.session, event)
    export = exports.export_coverage(
        db.session, event, rows, kind=kind, selection=filters.selection(), locale=locale(),
        link=lambda organisation_id: registration_link(event, tokens[organisation_id]) if organisation_id in tokens
        else None, user=current_account(), ip=client_ip(), now=utcnow())
    db.session.commit()  # the audit entry stands even if the download is interrupted
    response = Response(stream_with_context(export.open()), content_type=export.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@bp.get("/events/<slug>/coverage.csv")
def coverage_csv(slug: str):
    return _export(slug, "csv")


@bp.get("/events/<slug>/coverage.xlsx")
def coverage_xlsx(slug: str):
    return _export(slug, "xlsx")
