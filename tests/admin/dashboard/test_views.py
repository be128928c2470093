"""Per-event dashboard: totals, breakdowns, interpreters' headcount, attendance."""

from __future__ import annotations

from datetime import timedelta

from panel_app.admin.dashboard import services
from panel_app.models import utcnow


def test_dashboard_shows_totals_breakdowns_and_accessible_charts(organiser, make_event, make_registration):
    event = make_event(languages=["en", "fr", "es"])
    make_registration(event, language="es", country="ES", role="mp")
    make_registration(event, language="es", country="AR", role="staff", status="pending")
    make_registration(event, language="fr", country="SN", affiliation_type="associate_member")
    make_registration(event, language="en", status="cancelled")
    html = organiser.get(f"/admin/events/{event.slug}").get_data(as_text=True)
    assert html.count("<svg") >= 5
    assert 'role="img"' in html and "<script" not in html.split("</head>")[1].replace(
        '<script src="/static/js/app.js" defer></script>', ""
    )
    assert "Interpretation channels" in html and 'scope="row"' in html
    assert "style=" not in html


def test_dashboard_figures(db, make_event, make_registration, app_context):
    event = make_event(languages=["en", "fr", "es"])
    make_registration(event, language="es", country="ES", role="mp")
    make_registration(event, language="es", country="ES", role="staff", status="pending")
    make_registration(event, language="fr", country="SN", affiliation_type="associate_member")
    make_registration(event, language="en", status="cancelled")
    figures = services.dashboard(db.session, event, now=utcnow())
    assert figures.status["confirmed"] == 2 and figures.status["cancelled"] == 1
    assert figures.language_confirmed == {"en": 0, "fr": 1, "es": 1}
    assert figures.language_possible["es"] == 1
    assert figures.country[0] == ("ES", 2)
    assert figures.role == {"mp": 2, "staff": 1}
    assert figures.affiliation == {"member_parliament": 2, "associate_member": 1}
    assert sum(new for _, new, _ in figures.over_time) == 4
    assert figures.active_total == 3


def test_attendance_after_the_event(organiser, db, make_event, make_registration, future, app_context):
    start = future(days=-1)
    event = make_event(starts_at=start, ends_at=start + timedelta(minutes=90))
    make_registration(event, attended=True, attended_minutes=85)
    make_registration(event, attended=True, attended_minutes=20, affiliation_type="permanent_observer")
    make_registration(event, attended=False, attended_minutes=0)
    make_registration(event)
    figures = services.dashboard(db.session, event, now=utcnow())
    assert figures.event_over
    assert figures.attendance == {"came": 2, "did_not": 1, "unknown": 1}
    assert dict(figures.minutes) == {"0": 1, "1–14": 0, "15–29": 1, "30–59": 0, "60–89": 1, "90+": 0}
    assert ("member_parliament", 1, 3) in figures.attendance_by_affiliation
    html = organiser.get(f"/admin/events/{event.slug}").get_data(as_text=True)
    assert "Minutes attended" in html and "did not come" in html


def test_dashboard_shows_fill_rate_country_names_and_attendance_by_channel(organiser, populated):
    upcoming = organiser.get(f"/admin/events/{populated.upcoming.slug}").get_data(as_text=True)
    assert "100&nbsp;%" in upcoming and "Fill rate" in upcoming
    assert "Spain" in upcoming and "Viet Nam" in upcoming  # names, not codes
    past = organiser.get(f"/admin/events/{populated.past.slug}").get_data(as_text=True)
    assert "Attendance by interpretation channel (confirmed)" in past
    channel_table = past[past.index("attendance-language-title"):]
    assert "<th scope=\"row\">English</th><td class=\"num\">2</td><td class=\"num\">0</td>" in channel_table
    organiser.set_cookie("lang", "es")
    spanish = organiser.get(f"/admin/events/{populated.upcoming.slug}").get_data(as_text=True)
    assert "España" in spanish and "Ocupación" in spanish
