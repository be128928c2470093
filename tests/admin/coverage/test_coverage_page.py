"""The console's coverage page on 240 parliaments: counts, filters, links made on request,
exports with the same rows, in the organiser's language; viewers read, organisers act."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from panel_app.extensions import db as _db
from panel_app.models import AuditEntry, EventInvitation, Organisation
from tests.directory.coverage_world import build_world


@pytest.fixture
def world(db, make_event):
    return build_world(db, make_event)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_viewers_see_the_counts_and_the_list_and_no_link_is_made_by_looking(signed_in, world, count_queries):
    client, _ = signed_in("viewer")
    with count_queries() as queries:
        response = client.get(f"/admin/events/{world.event.slug}/coverage")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(queries) < 20  # a few grouped queries, not one per parliament
    totals = [int(n) for n in re.findall(r'<span class="total-number">(\d+)</span>', html)]
    assert totals == [240, 144, 96, 72, 96]
    assert "240 parliaments or organisations shown" in html
    assert "Make the missing links" not in html  # a viewer cannot make them
    assert "240 parliaments or organisations have no link yet." in html
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(EventInvitation)) == 0
    assert "Cortes Generales of Spain" in html and "Latin America and the Caribbean" in html


def test_the_not_represented_filter_lists_exactly_those_parliaments(signed_in, world):
    client, _ = signed_in("viewer")
    html = client.get(f"/admin/events/{world.event.slug}/coverage?reached=none").get_data(as_text=True)
    names = re.findall(r'<tr class="row-unrepresented">\s*<th scope="row">([^<]+)</th>', html)
    wanted = {o.name for o in world.organisations if not world.expected.flags[o.id]["registered"]}
    assert len(names) == 96 and {n.replace("&#39;", "'") for n in names} == wanted


def test_values_that_are_not_choices_are_explained_in_the_organisers_language(signed_in, world):
    client, _ = signed_in("viewer")
    client.set_cookie("lang", "es")
    response = client.get(f"/admin/events/{world.event.slug}/coverage?region=Atlantis&reached=%00")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "«Región»: este valor no figura entre las opciones" in html
    assert "«Representado»: este valor no figura entre las opciones" in html


def test_an_organiser_makes_the_missing_links_once_and_sees_them_listed(signed_in, world, post):
    client, _ = signed_in("organiser")
    slug = world.event.slug
    page = client.get(f"/admin/events/{slug}/coverage").get_data(as_text=True)
    assert "Make the missing links" in page
    response = post(client, f"/admin/events/{slug}/coverage/links", form_url=f"/admin/events/{slug}/coverage")
    assert response.status_code == 303
    html = client.get(f"/admin/events/{slug}/coverage").get_data(as_text=True)
    assert "240 registration links made." in html and "Every parliament and organisation has its link." in html
    token = _db.session.scalar(sa.select(EventInvitation.token).where(
        EventInvitation.organisation_id == world.organisations[0].id))
    assert f"http://localhost/events/{slug}/register?invitation={token}" in html or \
        f"/events/{slug}/register?invitation={token}" in html
    post(client, f"/admin/events/{slug}/coverage/links", form_url=f"/admin/events/{slug}/coverage")
    assert "Every parliament already has its registration link." in client.get(
        f"/admin/events/{slug}/coverage").get_data(as_text=True)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(EventInvitation)) == 240
    entries = _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "coverage.links")).all()
    assert [e.details for e in entries] == [{"made": 240}]


def test_viewers_cannot_make_links_and_a_post_without_its_token_is_refused(signed_in, world, post):
    viewer, _ = signed_in("viewer")
    slug = world.event.slug
    assert post(viewer, f"/admin/events/{slug}/coverage/links", form_url=f"/admin/events/{slug}/coverage"
                ).status_code == 403
    organiser, _ = signed_in("organiser")
    assert organiser.post(f"/admin/events/{slug}/coverage/links").status_code == 400
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(EventInvitation)) == 0


def test_the_csv_export_has_the_filtered_rows_with_links_and_formulas_neutralised(signed_in, world, post, db):
    organisation = world.organisations[5]
    organisation.name = "=HYPERLINK(\"http://evil.example\",\"Parliament\")"
    db.session.commit()
    client, _ = signed_in("organiser")
    slug = world.event.slug
    post(client, f"/admin/events/{slug}/coverage/links", form_url=f"/admin/events/{slug}/coverage")
    response = client.get(f"/admin/events/{slug}/coverage.csv?reached=none")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert re.match(rf'attachment; filename="{slug}-coverage-\d{{8}}-\d{{4}}\.csv"',
                    response.headers["Content-Disposition"])
    rows = _csv(response)
    assert rows[0] == ["Parliament or organisation", "Country", "Region", "Affiliation", "Represented",
                       "Registrants", "Confirmed", "Attended", "Registration link"]
    assert len(rows) == 1 + 96
    by_name = {r[0]: r for r in rows[1:]}
    evil = by_name["'=HYPERLINK(\"http://evil.example\",\"Parliament\")"]  # index 5: kind "none"
    assert evil[4:8] == ["no", "0", "0", "0"]
    assert evil[8].endswith(f"/events/{slug}/register?invitation=" + _db.session.scalar(
        sa.select(EventInvitation.token).where(EventInvitation.organisation_id == organisation.id)))
    entry = _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export.coverage.csv")).one()
    assert entry.details == {"filters": {"reached": "none"}}


def test_the_excel_export_speaks_french_and_types_its_numbers(signed_in, world, tmp_path):
    client, _ = signed_in("viewer")
    client.set_cookie("lang", "fr")
    response = client.get(f"/admin/events/{world.event.slug}/coverage.xlsx?region=Africa")
    assert response.status_code == 200
    path = tmp_path / "coverage.xlsx"
    path.write_bytes(response.get_data())
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Couverture"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("Parlement ou organisation", "Pays", "Région", "Appartenance", "Représenté",
                           "Personnes inscrites")
    africa = [o for o in world.organisations if o.region == "Africa"]
    assert len(rows) == 1 + len(africa)
    assert rows[1][0] == africa[0].name and rows[1][1] == "Sénégal" and isinstance(rows[1][5], (int, float))
    assert rows[1][8] is None  # no link made yet: the cell stays empty


def test_an_event_without_a_directory_says_what_to_do(signed_in, make_event, db):
    db.session.execute(sa.delete(Organisation))
    db.session.commit()
    event = make_event(slug="lonely-panel")
    client, _ = signed_in("viewer")
    html = client.get(f"/admin/events/{event.slug}/coverage").get_data(as_text=True)
    assert "The directory of parliaments and organisations is empty" in html
