"""The parliament/organisation field: a list organisers maintain, free text still allowed."""

from __future__ import annotations

import io
import re

from panel_app.directory.importer import import_csv
from panel_app.models import Organisation
from panel_app.registration.organisations import organisation_names
from tests.factories import registration_form_data


def test_form_offers_active_organisations_in_a_datalist(client, db, make_event, register_url):
    db.session.add_all([
        Organisation(name="Parliament of Senegal", country="SN", affiliation_type="member_parliament"),
        Organisation(name="Assemblée nationale (France)", country="FR", affiliation_type="member_parliament"),
        Organisation(name="Former Member", country="", affiliation_type="member_parliament", active=False),
    ])
    db.session.commit()
    html = client.get(register_url(make_event())).get_data(as_text=True)
    assert 'list="organisation-options"' in html
    datalist = re.search(r'<datalist id="organisation-options">(.*?)</datalist>', html, re.S).group(1)
    assert re.findall(r'<option value="([^"]+)">', datalist) == [
        "Assemblée nationale (France)",
        "Parliament of Senegal",
    ]


def test_organisation_outside_the_list_is_accepted(client, submit_form, make_event, registrations, register_url):
    response = submit_form(
        client, register_url(make_event()), registration_form_data(organisation="Parlamento del Mercosur – Secretaría")
    )
    assert response.status_code == 303
    assert registrations()[0].organisation == "Parlamento del Mercosur – Secretaría"


def test_import_service_normalises_names_and_counts(db):
    report = import_csv(
        db.session, io.StringIO("name,country,affiliation_type\n  Parliament   of Chile ,cl,member_parliament\n")
    )
    assert report.errors == [] and report.added == 1
    assert organisation_names(db.session) == ["Parliament of Chile"]
    assert db.session.query(Organisation).one().country == "CL"
