"""Importing the directory from CSV and Excel: a few hundred parliaments with contacts, every kind of
bad line reported by number with nothing imported, and re-imports that keep history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel_app.directory.importer import import_file
from panel_app.models import AuditEntry, Contact, Organisation
from tests.directory.conftest import csv_text, directory_rows, xlsx_bytes


def _import(db, rows, kind="csv", **kwargs):
    data = csv_text(rows).encode("utf-8") if kind == "csv" else xlsx_bytes(rows)
    report = import_file(db.session, f"directory.{kind}", data, **kwargs)
    if report.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return report


def _state(db):
    organisations = {o.name: o.active for o in db.session.scalars(sa.select(Organisation))}
    contacts = {c.email: c.active for c in db.session.scalars(sa.select(Contact))}
    return organisations, contacts


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_few_hundred_parliaments_and_their_contacts_import_from_csv_and_excel(db, kind):
    rows = directory_rows()
    report = _import(db, rows, kind)
    assert report.ok, report.errors
    assert report.added == 244 and report.contacts_added == len([r for r in rows if r.get("contact_email")])
    france = db.session.scalar(sa.select(Organisation).where(Organisation.country == "FR"))
    assert france.name == "Parliament of France" and france.translations["fr"] == "Parlement – France"
    assert france.translations["es"] == "Parlamento – Francia" and france.region
    assert {c.language for c in france.contacts} <= {"en", "fr", "es"} and france.contacts[0].function
    un = db.session.scalar(sa.select(Organisation).where(Organisation.name == "United Nations"))
    assert un.affiliation_type == "permanent_observer" and un.country == "" and un.contacts == []


def test_rows_with_the_same_parliament_add_contacts_and_empty_cells_mean_the_same(db):
    report = _import(db, [
        {"name": "Assemblée nationale du Sénégal", "country": "sn", "affiliation_type": "member_parliament",
         "region": "Africa", "contact_name": "Awa Ndiaye", "contact_email": "awa@assemblee.sn.example",
         "contact_language": "FR"},
        {"name": "  assemblée   nationale du sénégal ", "contact_name": "Moussa Sène",
         "contact_email": "MOUSSA@assemblee.sn.example", "contact_function": "Secrétaire général"},
    ])
    assert report.ok, report.errors
    [senegal] = db.session.scalars(sa.select(Organisation)).all()
    assert senegal.country == "SN"
    assert [(c.name, c.email_normalized, c.language) for c in senegal.contacts] == [
        ("Awa Ndiaye", "awa@assemblee.sn.example", "fr"), ("Moussa Sène", "moussa@assemblee.sn.example", "en")]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_every_bad_line_is_reported_by_number_and_nothing_is_imported(db, kind):
    assert _import(db, [{"name": "Kept Parliament", "affiliation_type": "member_parliament"}]).ok
    good = {"affiliation_type": "member_parliament", "country": "CL"}
    rows = [
        {"name": "Parliament of Chile", **good, "contact_name": "Camila", "contact_email": "camila@chile.example"},
        {"name": "", **good},                                                            # 3: no name
        {"name": "Parliament of Atlantis", "country": "XX", "affiliation_type": "member_parliament"},  # 4
        {"name": "Parliament of Peru", "country": "PE", "affiliation_type": "senate"},  # 5
        {"name": "Parliament of Chile", "country": "AR"},                               # 6: conflicting
        {"name": "Parliament of Bolivia", **good, "country": "BO", "contact_name": "Sin correo"},  # 7
        {"name": "Parliament of Ecuador", **good, "country": "EC", "contact_email": "not an address"},  # 8
        {"name": "Parliament of Chile", "contact_email": "CAMILA@chile.example"},        # 9: same contact
        {"name": "Parliament of Cuba", **good, "country": "CU", "contact_email": "a@cuba.example",
         "contact_language": "de"},                                                     # 10
        {"name": "Parlamento de Chile", **good, "name_fr": "Parliament of Chile"},      # 11: name of another
        {"name": "Parliament of Peru 2", **good, "region": "x" * 101},                  # 12
        {"name": "Bad\u202ename", **good},                                              # 13
    ]
    report = _import(db, rows, kind)
    assert not report.ok
    lines = {problem.line: problem.code for problem in report.problems}
    assert lines == {3: "name_required", 4: "country", 5: "affiliation", 6: "conflict", 7: "contact_email_missing",
                     8: "contact_email_invalid", 9: "contact_duplicate", 10: "language", 11: "name_taken",
                     12: "too_long", 13: "bad_text"}
    assert "Line 4: Unknown country code “XX”" in report.errors[1]
    assert "“Parliament of Chile” is also on line 2, with a different “country”" in report.errors[3]
    assert _state(db) == ({"Kept Parliament": True}, {})


def test_formula_looking_cells_are_imported_as_the_text_typed(db):
    report = _import(db, [{"name": "=HYPERLINK(\"http://evil.example\")", "affiliation_type": "member_parliament",
                           "contact_name": "+41 22 919 41 50", "contact_email": "x@parl.example"}], "xlsx")
    assert report.ok, report.errors
    organisation = db.session.scalar(sa.select(Organisation))
    assert organisation.name == '=HYPERLINK("http://evil.example")'
    assert organisation.contacts[0].name == "+41 22 919 41 50"


@pytest.mark.parametrize(("data", "filename", "code"), [
    (b"\x00\x01\x02binary", "directory.csv", "unreadable"),
    ("name;country\nAssemblée;FR\n".encode("latin-1"), "directory.csv", "unreadable"),
    (b"PK\x03\x04 not really a workbook", "directory.xlsx", "unreadable"),
    (b"title,kind\nX,Y\n", "directory.csv", "missing_columns"),
    (b"name,affiliation_type\n", "directory.csv", "empty"),
])
def test_unusable_files_are_refused_with_one_clear_message(db, data, filename, code):
    report = import_file(db.session, filename, data)
    assert [problem.code for problem in report.problems] == [code]
    assert report.errors[0] and not report.errors[0].startswith("Line")


def test_reimport_deactivates_what_is_missing_and_reactivates_what_returns_keeping_history(db):
    rows = directory_rows(count=60)
    assert _import(db, rows).ok
    organisations, contacts = _state(db)
    ids = {o.name: o.id for o in db.session.scalars(sa.select(Organisation))}
    # Chile leaves the file; Argentina keeps only its first contact; a new contact joins France.
    without_chile = [r for r in rows if not r["name"].endswith(" Chile")]
    argentina = [r for r in without_chile if r["name"] == "Parliament of Argentina"]
    shorter = [r for r in without_chile if r not in argentina[1:]]
    shorter.append({"name": "Parliament of Belgium", "contact_email": "nouveau@lachambre.example",
                    "contact_name": "Chloé Lefèvre", "contact_language": "fr"})
    report = _import(db, shorter)
    assert report.ok, report.errors
    assert (report.added, report.deactivated, report.contacts_added) == (0, 1, 1)
    chile = [r for r in rows if r["name"].endswith(" Chile")]
    assert report.contacts_deactivated == len(chile) + len(argentina) - 1  # Chile's, Argentina's second
    organisations_now, contacts_now = _state(db)
    assert organisations_now["Parliament of Chile"] is False
    assert sum(not active for active in contacts_now.values()) == report.contacts_deactivated
    assert len(organisations_now) == len(organisations)  # nothing deleted

    report = _import(db, rows)
    assert report.ok and report.added == 0 and report.contacts_added == 0
    organisations_back, contacts_back = _state(db)
    assert all(organisations_back.values())
    assert all(active for email, active in contacts_back.items() if email != "nouveau@lachambre.example")
    assert {o.name: o.id for o in db.session.scalars(sa.select(Organisation))} == ids  # same rows, same ids


def test_a_file_without_contact_columns_leaves_contacts_alone(db, make_organisation):
    organisation = make_organisation(name="Parliament of Senegal", contacts=2)
    report = import_file(db.session, "old.csv", b"name,country,affiliation_type\nParliament of Senegal,SN,"
                                                b"member_parliament\n")
    db.session.commit()
    assert report.ok and report.contacts_deactivated == 0
    assert all(c.active for c in db.session.get(Organisation, organisation.id).contacts)


def test_import_by_an_organiser_is_written_to_the_audit_log(db):
    from panel_app.models import utcnow

    report = import_file(db.session, "annuaire.csv", csv_text(directory_rows(count=5)).encode(),
                         actor="organiser@ipu.example.org", now=utcnow())
    db.session.commit()
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert entry.action == "directory.import" and entry.details["added"] == report.added == 9
    assert entry.details["file"] == "annuaire.csv"
