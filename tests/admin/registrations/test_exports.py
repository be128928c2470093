"""Exports through the console: current filter, Unicode, formula injection, streaming, audit."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import sqlalchemy as sa

from panel_app.models import AuditEntry


def _people(make_event, make_registration):
    event = make_event(starts_at=datetime(2026, 9, 26, 13, 0, tzinfo=UTC),
                       ends_at=datetime(2026, 9, 26, 14, 30, tzinfo=UTC))
    make_registration(event, first_name="Zoë", last_name="Ñúñez", organisation="=cmd|' /C calc'!A0", language="es",
                      attended=True, attended_minutes=85, attendance_source="zoom",
                      first_joined_at=datetime(2026, 9, 26, 12, 58, tzinfo=UTC),
                      created_at=datetime(2026, 9, 1, 8, 0, tzinfo=UTC))
    make_registration(
        event, first_name="محمد", last_name="@Hassan", organisation="Majlis", language="en", status="pending"
    )
    return event


def test_csv_export_of_the_current_filter_opens_with_the_csv_module(signed_in, db, make_event, make_registration):
    client, user = signed_in("viewer")
    event = _people(make_event, make_registration)
    response = client.get(f"/admin/events/{event.slug}/registrations.csv?status=confirmed&page=1")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["First name"] == "Zoë" and row["Last name"] == "Ñúñez"
    assert row["Parliament or organisation"] == "'=cmd|' /C calc'!A0"
    assert row["Attended"] == "yes" and row["Minutes attended"] == "85"
    assert row["First joined (Europe/Zurich)"] == "2026-09-26 14:58"
    assert row["Registered (Europe/Zurich)"] == "2026-09-01 10:00"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export.csv"))
    assert entry.user_id == user.id and entry.details == {"filters": {"status": "confirmed"}}


def test_csv_keeps_arabic_names_and_neutralises_at_signs(organiser, make_event, make_registration):
    event = _people(make_event, make_registration)
    body = organiser.get(f"/admin/events/{event.slug}/registrations.csv?status=pending").get_data()
    row = next(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert row["First name"] == "محمد" and row["Last name"] == "'@Hassan"


def test_xlsx_export_opens_with_openpyxl_with_real_types(organiser, make_event, make_registration):
    event = _people(make_event, make_registration)
    response = organiser.get(f"/admin/events/{event.slug}/registrations.xlsx?sort=name&dir=desc")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    records = [dict(zip(headers, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert [r["Last name"] for r in records] == ["Ñúñez", "'@Hassan"]  # name, descending
    zoe = records[0]
    assert zoe["Parliament or organisation"] == "'=cmd|' /C calc'!A0"
    assert zoe["Minutes attended"] == 85 and zoe["Attended"] is True
    assert zoe["First joined (Europe/Zurich)"] == datetime(2026, 9, 26, 14, 58)
    assert records[1]["Attended"] is None


def test_exports_stream_instead_of_building_the_body(organiser, make_event, make_registration):
    event = _people(make_event, make_registration)
    for suffix in ("csv", "xlsx"):
        response = organiser.get(f"/admin/events/{event.slug}/registrations.{suffix}", buffered=False)
        assert response.is_streamed, suffix
        assert "Content-Length" not in response.headers
        chunks = list(response.response)
        assert chunks and all(isinstance(c, bytes) for c in chunks)
        response.close()


def test_export_with_bad_filter_is_a_400_page(organiser, make_event):
    event = make_event()
    response = organiser.get(f"/admin/events/{event.slug}/registrations.xlsx?status=nope")
    assert response.status_code == 400 and "Unknown value" in response.get_data(as_text=True)


def test_empty_export_still_has_a_header(organiser, make_event):
    event = make_event()
    book = openpyxl.load_workbook(
        io.BytesIO(organiser.get(f"/admin/events/{event.slug}/registrations.xlsx").get_data())
    )
    assert book.active.max_row == 1
    body = organiser.get(f"/admin/events/{event.slug}/registrations.csv").get_data()
    assert body.decode("utf-8-sig").count("\r\n") == 1


def test_export_links_carry_the_current_filter(organiser, make_event):
    event = make_event()
    html = organiser.get(f"/admin/events/{event.slug}/registrations?language=es&status=confirmed").get_data(
        as_text=True
    )
    assert f"/admin/events/{event.slug}/registrations.csv?" in html
    assert "language=es" in html.split("registrations.csv?")[1].split('"')[0]


def test_exports_speak_the_organisers_language_with_codes_in_their_own_columns(organiser, populated):
    slug = populated.upcoming.slug
    body = organiser.get(f"/admin/events/{slug}/registrations.csv?sort=name&dir=asc").get_data().decode("utf-8-sig")
    rows = {r["Last name"]: r for r in csv.DictReader(io.StringIO(body))}
    row = rows["Ñúñez-Öztürk"]
    assert (row["Status"], row["Status code"]) == ("Confirmed", "confirmed")
    assert (row["Language channel"], row["Language code"]) == ("English", "en")
    assert (row["Country"], row["Country code"]) == ("Spain", "ES")
    assert (row["Affiliation"], row["Affiliation code"]) == ("Member Parliament of the IPU", "member_parliament")
    assert (row["Role"], row["Role code"]) == ("Member of parliament", "mp")
    assert rows["Minh Khai"]["Status"] == "Confirmed" and rows["Minh Khai"]["Language channel"] == "French"
    # The public contract's columns stay for an English-speaking organiser.
    assert {"Email", "Status", "Language channel", "Attended", "First joined (Europe/Zurich)",
            "Minutes attended"} <= set(row)

    organiser.set_cookie("lang", "fr")
    body = organiser.get(f"/admin/events/{slug}/registrations.csv").get_data().decode("utf-8-sig")
    french = {r["Nom"]: r for r in csv.DictReader(io.StringIO(body))}
    assert french["Ñúñez-Öztürk"]["Statut"] == "Confirmée" and french["Ñúñez-Öztürk"]["Code du statut"] == "confirmed"
    assert french["Ñúñez-Öztürk"]["Pays"] == "Espagne" and french["Ñúñez-Öztürk"]["Canal linguistique"] == "Anglais"

    book = openpyxl.load_workbook(io.BytesIO(organiser.get(f"/admin/events/{slug}/registrations.xlsx").get_data()))
    headers = [c.value for c in book.active[1]]
    assert "Statut" in headers and "Code du statut" in headers
