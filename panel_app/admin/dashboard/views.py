"""Console page: an event's dashboard."""

from __future__ import annotations

from flask import render_template

from panel_app.admin.blueprint import bp
from panel_app.admin.common import event_or_404, locale
from panel_app.admin.dashboard import charts, services
from panel_app.admin.forms import ActionForm
from panel_app.admin.registrations.filters import CHOICES
from panel_app.core.templating import STATUS_LABELS
from panel_app.extensions import db
from panel_app.models import Event, utcnow
from panel_app.registration.countries import country_name
from panel_app.registration.forms import AFFILIATION_LABELS, ROLE_LABELS
from panel_app.zoom import setup as zoom_setup


def _labelled(figures: services.Dashboard) -> dict[str, list[tuple[str, int]]]:
    """The breakdowns as (label in the page's language, count), in the form's order."""
    return {
        "affiliation": [(str(AFFILIATION_LABELS.get(k, k)), figures.affiliation.get(k, 0))
                        for k in CHOICES["affiliation_type"]],
        "role": [(str(ROLE_LABELS.get(k, k)), figures.role.get(k, 0)) for k in CHOICES["role"]],
        "status": [(str(STATUS_LABELS.get(k, k)), v) for k, v in figures.status.items()],
        "country": [(country_name(code, locale()), count) for code, count in figures.country[:15]],
    }


def _charts(event: Event, figures: services.Dashboard, items: dict) -> dict[str, charts.Chart]:
    return {
        "status": charts.horizontal_bars(items["status"]),
        "affiliation": charts.horizontal_bars(items["affiliation"]),
        "role": charts.horizontal_bars(items["role"]),
        "language": charts.horizontal_bars([(code, figures.language_confirmed.get(code, 0))
                                            for code in event.languages]),
        "country": charts.horizontal_bars(items["country"]),
        "over_time": charts.columns([(day, new) for day, new, _total in figures.over_time[-60:]]),
        "minutes": charts.horizontal_bars(figures.minutes),
    }


@bp.get("/events/<slug>")
def dashboard(slug: str):
    event = event_or_404(slug)
    figures = services.dashboard(db.session, event, now=utcnow())
    items = _labelled(figures)
    return render_template(
        "admin/dashboard.html", event=event, figures=figures, charts=_charts(event, figures, items),
        action_form=ActionForm(), affiliation_items=items["affiliation"], role_items=items["role"],
        status_items=items["status"], country_items=items["country"],
        fill_rate=services.fill_rate(figures.status.get("confirmed", 0), event.capacity),
        zoom_setup={"linked": bool(event.zoom_id), "check": zoom_setup.last_check(db.session, event)},
    )
