"""Directory fixtures: a realistic directory of a few hundred parliaments with contacts.

`directory_rows()` gives the rows of an import file (one per contact, names in three
languages, accents, regions); `directory` imports them and returns the entries by name;
`make_organisation` adds one entry (with contacts) for tests about one parliament.
"""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from panel_app.models import Organisation
from panel_app.registration.countries import country_choices
from tests import factories

COLUMNS = ["name", "name_fr", "name_es", "country", "affiliation_type", "region", "contact_name", "contact_email",
           "contact_function", "contact_language"]
REGIONS = ("Africa", "Arab", "Asia-Pacific", "Eurasia", "Latin America and the Caribbean", "Twelve Plus")
FIRST = ("Awa", "María-José", "Jean-Baptiste", "Nguyễn Thị", "Søren", "Олена", "Zoë", "Łukasz", "Chloé", "Ngozi")
LAST = ("Ndiaye-Sène", "Ñúñez-Öztürk", "de La Rochefoucauld", "Minh Khai", "Kierkegaard", "Шевченко",
        "Okafor-Abernathy", "Wałęsa", "Lefèvre", "Adébáyọ̀")


def directory_rows(count: int = 240, contacts_per: int = 2) -> list[dict]:
    """Rows for `count` member parliaments (named after real countries) and four international bodies."""
    names = {lang: dict(country_choices(lang)) for lang in ("en", "fr", "es")}
    rows = []
    for index, code in enumerate(sorted(names["en"])[:count]):
        entry = {"name": f"Parliament of {names['en'][code]}", "name_fr": f"Parlement – {names['fr'][code]}",
                 "name_es": f"Parlamento – {names['es'][code]}", "country": code,
                 "affiliation_type": "member_parliament", "region": REGIONS[index % len(REGIONS)]}
        for n in range(contacts_per if index % 5 else 1):
            person = index * 3 + n
            rows.append({**(entry if n == 0 else {"name": entry["name"]}),
                         "contact_name": f"{FIRST[person % 10]} {LAST[(person // 10) % 10]}",
                         "contact_email": f"contact{n}.{code.lower()}@parliament-{code.lower()}.example.org",
                         "contact_function": "Secrétaire général" if n else "Secretary of the IPU Group",
                         "contact_language": ("en", "fr", "es")[person % 3]})
    for name, fr, es, kind in (
            ("European Parliament", "Parlement européen", "Parlamento Europeo", "associate_member"),
            ("Andean Parliament", "Parlement andin", "Parlamento Andino", "associate_member"),
            ("African Union", "Union africaine", "Unión Africana", "permanent_observer"),
            ("United Nations", "Organisation des Nations Unies", "Naciones Unidas", "permanent_observer")):
        rows.append({"name": name, "name_fr": fr, "name_es": es, "affiliation_type": kind})
    return rows


def csv_text(rows: list[dict], columns=COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def xlsx_bytes(rows: list[dict], columns=COLUMNS) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(column, None) for column in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def directory(db):
    """A directory of 244 entries and ~430 contacts, imported; returns {name: Organisation}."""
    from panel_app.directory.importer import import_file

    report = import_file(db.session, "directory.csv", csv_text(directory_rows()).encode())
    assert report.ok, report.errors
    db.session.commit()
    return {o.name: o for o in db.session.scalars(sa.select(Organisation))}


@pytest.fixture
def make_organisation(db):
    """`make_organisation(name=..., contacts=2, ...)` commits and returns an Organisation with contacts."""

    def make(contacts: int = 1, **overrides):
        organisation = factories.OrganisationFactory.build(**overrides)
        db.session.add(organisation)
        db.session.flush()
        for _ in range(contacts):
            db.session.add(factories.ContactFactory.build(organisation_id=organisation.id))
        db.session.commit()
        return organisation

    return make
