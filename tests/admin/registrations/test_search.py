"""Search that ignores accents and case both ways, and the country filter by name, on both databases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from panel_app.models import Registration


@pytest.mark.parametrize(("typed", "found"), [
    ("nunez", "Ñúñez-Öztürk"),           # plain letters find the accented name
    ("ÑÚÑEZ", "Ñúñez-Öztürk"),           # capitals with accents too
    ("ozturk maria", "Ñúñez-Öztürk"),    # any order, every word must match
    ("kierkegaard lukasiewicz", "Kierkegaard-Łukasiewicz"),  # letters without a decomposition (Ł)
    ("søren", "Kierkegaard-Łukasiewicz"),
    ("nguyen", "Minh Khai"),             # Vietnamese marks
    ("минх", None),                      # nobody is called that
    ("шевченко", "Шевченко"),            # Cyrillic, any case
    ("ШЕВЧЕНКО", "Шевченко"),
    ("محمد", "عبد الله"),                 # Arabic
    ("congreso-de-los", "Ñúñez-Öztürk"),  # the address
    ("assemblee nationale", "de La Rochefoucauld-Montmorency-Laval"),  # the organisation, accents dropped
    ("100%", None),                      # LIKE wildcards are searched for as text
    ("_", None),
])
def test_search_ignores_accents_and_case_both_ways(organiser, populated, typed, found):
    url = f"/admin/events/{populated.upcoming.slug}/registrations"
    response = organiser.get(url, query_string={"q": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    if found is None:
        assert "No registrations match." in html
    else:
        assert found in html, typed


def test_accented_search_finds_plain_names_too(organiser, make_event, make_registration):
    event = make_event()
    make_registration(event, first_name="Jose", last_name="Nunez", email="jose@parl.example")
    html = organiser.get(f"/admin/events/{event.slug}/registrations", query_string={"q": "José Núñez"}).get_data(
        as_text=True)
    assert "Nunez, Jose" in html


def test_the_search_text_follows_every_change_of_a_name(db, make_event, make_registration):
    event = make_event()
    registration, _ = make_registration(event, first_name="Zoë", last_name="Okafor")
    registration.last_name = "Ñúñez-Öztürk"
    db.session.commit()
    assert db.session.scalar(sa.select(Registration.id).where(Registration.search_text.contains("nunez-ozturk"))) \
        == registration.id


@pytest.mark.parametrize(("typed", "code"), [
    ("ES", "ES"), ("es", "ES"), ("Spain", "ES"), ("espagne", "ES"), ("España", "ES"), ("cote d'ivoire", "CI"),
    ("Côte d’Ivoire", "CI"), ("burkina", "BF"), ("Suiza", "CH"),
])
def test_the_country_filter_takes_a_name_in_any_of_the_apps_languages_or_a_code(organiser, make_event,
                                                                                make_registration, typed, code):
    event = make_event()
    make_registration(event, last_name="Wanted", country=code, email="wanted@parl.example")
    make_registration(event, last_name="Other", country="JP" if code != "JP" else "FR", email="other@parl.example")
    html = organiser.get(f"/admin/events/{event.slug}/registrations", query_string={"country": typed}).get_data(
        as_text=True)
    assert "Wanted," in html and "Other," not in html


def test_an_unknown_or_ambiguous_country_is_explained(organiser, make_event):
    event = make_event()
    for typed in ("Atlantis", "guin", "a" * 200, "\x00"):  # "guin" starts two countries' names
        response = organiser.get(f"/admin/events/{event.slug}/registrations", query_string={"country": typed})
        assert response.status_code == 400, typed
        assert "Unknown country" in response.get_data(as_text=True), typed


def test_the_country_filter_speaks_the_organisers_language(organiser, make_event, make_registration):
    event = make_event()
    make_registration(event, country="DE")
    organiser.set_cookie("lang", "fr")
    html = organiser.get(f"/admin/events/{event.slug}/registrations?country=DE").get_data(as_text=True)
    assert 'value="Allemagne"' in html and '<option value="Allemagne">' in html


def _before_console() -> str:
    """The revision 0005_console follows (read from the file: the chain may grow after it)."""
    text = (Path(__file__).resolve().parents[3] / "migrations" / "versions" / "0005_console.py").read_text()
    return re.search(r'^down_revision = "([^"]+)"', text, re.M).group(1)


def test_the_upgrade_folds_the_names_already_there_and_keeps_every_other_row(db, make_event, make_registration):
    """Revision 0005_console fills the search text of rows written before it, and (both ways) changes
    tables in place: with foreign keys on, copying `registrations` or `walk_ins` would cascade into
    the notifications and attendance sessions that point at them."""
    from flask_migrate import downgrade, upgrade

    from panel_app.models import AttendanceSession, Notification, WalkIn

    event = make_event()
    registration, _ = make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk",
                                        email="MJ.Nunez@Cortes.example", organisation="Assemblée nationale")
    registration_id = registration.id
    walk_in = WalkIn(event_id=event.id, participant_key="n:invité", name="Invité", attended_minutes=5)
    db.session.add_all([walk_in, Notification(registration_id=registration_id, kind="confirmed", state="sent",
                                              attempts=1)])
    db.session.flush()
    db.session.add(AttendanceSession(event_id=event.id, walk_in_id=walk_in.id, participant_key="n:invité",
                                     joined_at=event.starts_at, source="webhook"))
    db.session.commit()
    db.session.remove()
    downgrade(revision=_before_console())
    upgrade()
    db.engine.dispose()  # SQLite connections may cache the schema of before
    assert db.session.scalar(sa.select(Registration.search_text).where(Registration.id == registration_id)) == \
        "maria-jose\nnunez-ozturk\nmj.nunez@cortes.example\nassemblee nationale"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    assert db.session.scalar(sa.select(AttendanceSession.walk_in_id)) is not None
