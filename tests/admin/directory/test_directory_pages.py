"""The directory in the console: list with search, filters, counts and pages; import with its report;
editing an entry and its contacts; who may do what; every change in the audit log."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from panel_app.models import AuditEntry, Contact, Organisation
from tests.conftest import csrf_from
from tests.directory.conftest import csv_text, directory_rows, xlsx_bytes


def _names(html: str) -> list[str]:
    return [unescape(name) for name in
            re.findall(r'<th scope="row"><a href="/admin/directory/\d+"><bdi>([^<]+)</bdi>', html)]


def test_the_list_pages_fifty_entries_at_a_time_with_counts(signed_in, directory):
    client, _ = signed_in("viewer")
    html = client.get("/admin/directory").get_data(as_text=True)
    assert len(_names(html)) == 50 and "244 entries match." in html
    assert "244 active entries" in html and "Permanent Observer 2" in html
    last = client.get("/admin/directory?page=5").get_data(as_text=True)
    assert len(_names(last)) == 44


@pytest.mark.parametrize(("query", "expected"), [
    ("q=senegal", ["Parliament of Senegal"]),
    ("q=S%C3%89N%C3%89GAL", ["Parliament of Senegal"]),
    ("q=parlamento+francia", ["Parliament of France"]),
    ("affiliation_type=permanent_observer", ["African Union", "United Nations"]),
    ("country=Suiza", ["Parliament of Switzerland"]),
    ("country=ch", ["Parliament of Switzerland"]),
])
def test_search_in_any_language_and_filters_narrow_the_list(signed_in, directory, query, expected):
    client, _ = signed_in("viewer")
    assert _names(client.get(f"/admin/directory?{query}").get_data(as_text=True)) == expected


def test_region_and_active_filters(signed_in, db, directory):
    client, _ = signed_in("viewer")
    directory["Parliament of Chile"].active = False
    db.session.commit()
    africa = _names(client.get("/admin/directory?region=Africa&q=parliament").get_data(as_text=True))
    assert africa and all(directory[name].region == "Africa" for name in africa)
    assert _names(client.get("/admin/directory?active=no").get_data(as_text=True)) == ["Parliament of Chile"]


@pytest.mark.parametrize("query", ["affiliation_type=senate", "active=maybe", "country=Atlantis", "page=0",
                                   "page=abc", "q=" + "x" * 300])
def test_bad_filters_get_a_clear_message_not_an_error(signed_in, directory, query):
    client, _ = signed_in("viewer")
    response = client.get(f"/admin/directory?{query}")
    assert response.status_code == 400 and "There is a problem" in response.get_data(as_text=True)


def _upload(client, data: bytes, filename: str, **fields):
    token = csrf_from(client, "/admin/directory/import")
    import io

    return client.post("/admin/directory/import", data={"csrf_token": token, "file": (io.BytesIO(data), filename),
                                                        **fields}, content_type="multipart/form-data")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_organiser_imports_a_file_and_sees_what_changed(signed_in, db, kind):
    client, _ = signed_in("organiser")
    rows = directory_rows(count=120)
    data = csv_text(rows).encode() if kind == "csv" else xlsx_bytes(rows)
    response = _upload(client, data, f"annuaire.{kind}")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Directory imported: 124 added" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 124
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action != "login")) == "directory.import"


def test_a_bad_file_is_reported_line_by_line_in_the_organisers_language_and_nothing_changes(signed_in, db,
                                                                                          directory):
    client, _ = signed_in("organiser")
    client.set_cookie("lang", "fr")
    rows = directory_rows(count=20)
    rows[3]["country"] = "XX"
    rows[7]["contact_email"] = "pas une adresse"
    response = _upload(client, csv_text(rows).encode(), "annuaire.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Rien n’a été importé" in html and "Ligne 5" in html and "Ligne 9" in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)
                             .where(Organisation.active.is_(True))) == 244


def test_an_upload_without_a_file_says_so(signed_in):
    client, _ = signed_in("organiser")
    token = csrf_from(client, "/admin/directory/import")
    response = client.post("/admin/directory/import", data={"csrf_token": token})
    assert response.status_code == 422 and "Choose a CSV or Excel file" in response.get_data(as_text=True)


def test_viewers_read_the_directory_but_cannot_change_it(signed_in, make_organisation):
    organisation = make_organisation(name="Parliament of Senegal", contacts=2)
    client, _ = signed_in("viewer")
    html = client.get(f"/admin/directory/{organisation.id}").get_data(as_text=True)
    assert "Parliament of Senegal" in html and 'name="name"' not in html and "contact" in html.lower()
    assert client.get("/admin/directory/import").status_code == 403
    assert client.get("/admin/directory/new").status_code == 403
    contact_id = organisation.contacts[0].id
    assert client.get(f"/admin/directory/{organisation.id}/contacts/{contact_id}").status_code == 403


def test_an_organiser_adds_an_entry_edits_it_and_manages_its_contacts(signed_in, db, submit_form):
    client, _ = signed_in("organiser")
    response = submit_form(client, "/admin/directory/new", {
        "name": "National Assembly of Burkina Faso", "name_fr": "Assemblée législative de transition du Burkina Faso",
        "name_es": "", "country": "BF", "affiliation_type": "member_parliament", "region": "Africa", "active": "y"})
    assert response.status_code == 303
    organisation = db.session.scalar(sa.select(Organisation))
    url = f"/admin/directory/{organisation.id}"
    assert response.headers["Location"].endswith(url)
    assert organisation.translations == {"fr": "Assemblée législative de transition du Burkina Faso"}

    response = submit_form(client, url, {"name": "National Assembly of Burkina Faso", "country": "BF",
                                         "affiliation_type": "member_parliament", "region": "Afrique de l'Ouest"})
    assert response.status_code == 303
    db.session.expire_all()
    assert organisation.region == "Afrique de l'Ouest" and organisation.active is False  # box left unticked

    token = csrf_from(client, url)
    response = client.post(f"{url}/contacts", data={"csrf_token": token, "contact-name": "Wendkouni Ouédraogo",
                                                    "contact-email": "W.Ouedraogo@assemblee.bf.example",
                                                    "contact-function": "Secrétaire général", "contact-language": "fr"})
    assert response.status_code == 303
    [contact] = db.session.scalars(sa.select(Contact)).all()
    assert contact.email_normalized == "w.ouedraogo@assemblee.bf.example" and contact.language == "fr"
    response = client.post(f"{url}/contacts", data={
        "csrf_token": token, "contact-email": "w.ouedraogo@assemblee.bf.example", "contact-language": "fr"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "already has a contact with this address" in html

    response = submit_form(client, f"{url}/contacts/{contact.id}", {
        "name": "Wendkouni Ouédraogo", "email": "w.ouedraogo@assemblee.bf.example", "function": "", "language": "en"})
    assert response.status_code == 303
    db.session.expire_all()
    assert contact.active is False and contact.language == "en"  # deactivated, never deleted
    actions = [e.action for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action != "login")
                                                    .order_by(AuditEntry.id))]
    assert actions == ["directory.create", "directory.edit", "directory.contact.add", "directory.contact.edit"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": ""}, "This is required."),
    ({"country": "XX"}, "Choose a country from the list."),
    ({"affiliation_type": "senate"}, "Choose the affiliation."),
    ({"name_es": "Parliament of Chile"}, "Another entry of the directory already has this name."),
    ({"name": "x" * 301}, "This is too long."),
])
def test_bad_entry_values_are_explained_and_nothing_is_saved(signed_in, db, submit_form, make_organisation,
                                                             fields, message):
    make_organisation(name="Parliament of Chile", country="CL")
    client, _ = signed_in("organiser")
    data = {"name": "Parliament of Peru", "country": "PE", "affiliation_type": "member_parliament", **fields}
    response = submit_form(client, "/admin/directory/new", data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_unknown_entries_and_contacts_answer_404(signed_in, make_organisation):
    client, _ = signed_in("organiser")
    other = make_organisation(contacts=1)
    organisation = make_organisation(contacts=0)
    assert client.get("/admin/directory/99999").status_code == 404
    assert client.get(f"/admin/directory/{2**40}").status_code == 404
    assert client.get(f"/admin/directory/{organisation.id}/contacts/{other.contacts[0].id}").status_code == 404
