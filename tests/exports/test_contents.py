"""What an organiser hands to interpreters and secretariats: every column of the registration
and walk-in exports, in order, on a populated database (several events, accented and long
names, walk-ins), as CSV and as XLSX, with the file name and the audit entry.

The header names of the public contract (DESIGN.md: `Email`, `Status`, `Language channel`,
`Attended`, `First joined (<zone>)`, `Minutes attended`) are part of what is pinned here.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from panel_app.admin.registrations.filters import RegistrationFilters
from panel_app.admin.registrations.services import export_rows
from panel_app.exports import services
from panel_app.models import AuditEntry, WalkIn

WINTER_EVENING = datetime(2026, 12, 1, 18, 5, tzinfo=UTC)  # 19:05 in Geneva (CET, UTC+1)
LONG_LAST_NAME = "Ñúñez-Öztürk de la Peña y Álvarez-Castellón Þórsdóttir"

HEADER = [
    "ID", "Status", "Title", "First name", "Last name", "Email", "Parliament or organisation", "Country",
    "Affiliation", "Role", "Committees", "Language channel", "Email language", "Accessibility needs",
    "Registered (Europe/Zurich)", "Status changed (Europe/Zurich)", "Invite", "Invite error", "Zoom", "Zoom error",
    "Attended", "First joined (Europe/Zurich)", "Minutes attended", "Attendance source", "Status code",
    "Country code", "Affiliation code", "Role code", "Language code",
]
WALK_IN_HEADER = ["Name shown in Zoom", "Email", "First joined (Europe/Zurich)", "Minutes attended"]


@pytest.fixture
def panel(db, make_event, make_registration):
    """A Geneva panel with many Spanish- and French-speaking registrants, walk-ins, and a second
    event (other zone) whose registrants and walk-ins must never leak into the first's files."""
    event = make_event(slug="parliamentary-solidarity", timezone="Europe/Zurich")
    other = make_event(slug="youth-forum", timezone="America/New_York")
    for i in range(30):
        make_registration(event, first_name=f"Zoë-Anaïs {i:02d}", last_name=f"Ndiaye-Sène {i:02d}",
                          language="fr", email=f"zoe.{i:02d}@assemblee.example.sn")
        make_registration(other, first_name="Élodie", last_name=f"Ñúñez {i:02d}", language="es")
    complete, _ = make_registration(
        event, salutation="Hon.", first_name="María-José", last_name=LONG_LAST_NAME,
        email="maria-jose.nunez@congreso.example.es", organisation="=HYPERLINK(\"http://evil.example\")",
        country="ES", affiliation_type="associate_member", role="staff", committees="-Comisión de Hacienda",
        language="es", email_language="en", accessibility_needs="@Subtítulos\tpor favor",
        created_at=datetime(2026, 9, 26, 13, 5, 30, tzinfo=UTC), status_changed_at=datetime(2026, 11, 2, 9, 0,
                                                                                           tzinfo=UTC),
        invite_state="failed", invite_last_error="+550 mailbox unavailable", zoom_state="done",
        zoom_last_error="\rstale", attended=True, first_joined_at=datetime(2026, 12, 1, 12, 58, 59, tzinfo=UTC),
        attended_minutes=87, attendance_source="manual",
    )
    sparse, _ = make_registration(
        event, salutation="", first_name="Amélie", last_name="Ødegård", email="amelie@storting.example.no",
        organisation="Stortinget", country="NO", affiliation_type="member_parliament", role="mp", committees="",
        language="es", email_language=None, accessibility_needs="", status="waitlisted",
        created_at=datetime(2026, 7, 1, 6, 30, tzinfo=UTC), status_changed_at=datetime(2026, 7, 1, 6, 30, tzinfo=UTC),
        invite_state="none", invite_last_error=None, zoom_state="pending", zoom_last_error=None, attended=None,
        first_joined_at=None, attended_minutes=None, attendance_source=None,
    )
    absent, _ = make_registration(event, first_name="Ana", last_name="Álvarez", language="es", attended=False,
                                  attended_minutes=0, attendance_source="zoom", status="cancelled")
    # Walk-ins, inserted out of time order; the participant keys sort against the ids.
    walk_ins = [
        WalkIn(event_id=event.id, participant_key="n:a", name="+41 22 919 41 50", email="",
               first_joined_at=datetime(2026, 12, 1, 12, 50, tzinfo=UTC), attended_minutes=95),
        WalkIn(event_id=event.id, participant_key="n:b", name="Zoë Ndiaye-Sène", email="zoe@senat.example.sn",
               first_joined_at=datetime(2026, 12, 1, 12, 40, tzinfo=UTC), attended_minutes=100),
        WalkIn(event_id=event.id, participant_key="n:c", name="Invité (sans heure)", email="",
               first_joined_at=None, attended_minutes=0),
        WalkIn(event_id=event.id, participant_key="n:z", name="Ólafur Ragnar", email="olafur@althingi.example.is",
               first_joined_at=datetime(2026, 12, 1, 12, 45, tzinfo=UTC), attended_minutes=58),
        WalkIn(event_id=event.id, participant_key="n:y", name="Anne-Marie Lefèvre", email="",
               first_joined_at=datetime(2026, 12, 1, 12, 45, tzinfo=UTC), attended_minutes=61),
        WalkIn(event_id=event.id, participant_key="n:matched", name="Amélie (phone)", email="",
               first_joined_at=datetime(2026, 12, 1, 12, 30, tzinfo=UTC), attended_minutes=80,
               matched_registration_id=sparse.id),
        WalkIn(event_id=other.id, participant_key="n:a", name="Other event's guest", email="",
               first_joined_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC), attended_minutes=5),
    ]
    for walk_in in walk_ins:
        db.session.add(walk_in)
        db.session.flush()
    db.session.commit()
    # A later attendance import updates Ólafur's stay: PostgreSQL then stores his row after
    # Anne-Marie's, so only the id decides their tie (same first join).
    walk_ins[3].attended_minutes = 60
    db.session.commit()
    return SimpleNamespace(event=event, other=other, complete=complete, sparse=sparse, absent=absent)


# Walk-ins of the panel, in the order of the file: earliest first join, ties by arrival (id),
# no join time last; the matched one and the other event's are left out.
WALK_IN_ROWS = [
    ["Zoë Ndiaye-Sène", "zoe@senat.example.sn", "2026-12-01 13:40", "100"],
    ["Ólafur Ragnar", "olafur@althingi.example.is", "2026-12-01 13:45", "60"],
    ["Anne-Marie Lefèvre", "", "2026-12-01 13:45", "61"],
    ["'+41 22 919 41 50", "", "2026-12-01 13:50", "95"],
    ["Invité (sans heure)", "", "", "0"],
]


def _export(db, panel, organiser, kind, **filters):
    chosen = RegistrationFilters(**filters)
    return services.export_registrations(
        db.session, panel.event, export_rows(db.session, panel.event, chosen), kind=kind,
        selection=chosen.selection(), locale="en", user=organiser, ip="198.51.100.7", now=WINTER_EVENING,
    )


def _csv(export) -> list[list[str]]:
    body = b"".join(export.open())
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # Excel's CRLF rows, nothing else
    return list(csv.reader(io.StringIO(text, newline="")))


def _expected_rows(panel) -> list[list[str]]:
    """The Spanish-channel registrants sorted by name: Álvarez, Ñúñez-Öztürk…, Ødegård."""
    return [
        [str(panel.absent.id), "Cancelled", "", "Ana", "Álvarez", panel.absent.email, "Parliament of Senegal",
         "Senegal", "Member Parliament of the IPU", "Member of parliament", "", "Spanish", "Spanish", "",
         _local(panel.absent.created_at), _local(panel.absent.status_changed_at), "pending", "", "not needed", "",
         "no", "", "0", "Zoom", "cancelled", "SN", "member_parliament", "mp", "es"],
        [str(panel.complete.id), "Confirmed", "Hon.", "María-José", LONG_LAST_NAME,
         "maria-jose.nunez@congreso.example.es", "'=HYPERLINK(\"http://evil.example\")", "Spain",
         "Associate Member", "Parliamentary staff", "'-Comisión de Hacienda", "Spanish", "English",
         "'@Subtítulos\tpor favor", "2026-09-26 15:05", "2026-11-02 10:00", "failed", "'+550 mailbox unavailable",
         "done", "'\rstale", "yes", "2026-12-01 13:58", "87", "marked by an organiser", "confirmed", "ES",
         "associate_member", "staff", "es"],
        [str(panel.sparse.id), "On the waiting list", "", "Amélie", "Ødegård", "amelie@storting.example.no",
         "Stortinget", "Norway", "Member Parliament of the IPU", "Member of parliament", "", "Spanish", "Spanish",
         "", "2026-07-01 08:30", "2026-07-01 08:30", "not needed", "", "pending", "", "", "", "", "",
         "waitlisted", "NO", "member_parliament", "mp", "es"],
    ]


def _local(instant: datetime) -> str:
    return f"{instant.astimezone(ZoneInfo('Europe/Zurich')):%Y-%m-%d %H:%M}"


def test_the_csv_holds_every_column_in_order_for_the_filtered_registrants(db, panel, organiser):
    export = _export(db, panel, organiser, "csv", language="es", sort="name", dir="asc")
    db.session.commit()
    rows = _csv(export)
    assert rows[0] == HEADER
    assert rows[1:] == _expected_rows(panel)
    assert export.filename == "parliamentary-solidarity-registrations-20261201-1905.csv"
    assert export.content_type == "text/csv; charset=utf-8"


def test_an_unfiltered_csv_lists_every_registrant_of_the_event_and_none_of_another(db, panel, organiser):
    rows = _csv(_export(db, panel, organiser, "csv"))
    assert len(rows) == 1 + 33
    assert all(row[HEADER.index("Last name")] != "Ñúñez 00" for row in rows)
    assert sum(row[HEADER.index("First name")].startswith("Zoë-Anaïs") for row in rows) == 30


def test_an_export_is_audited_with_the_organiser_the_address_and_every_filter(db, panel, organiser):
    _export(db, panel, organiser, "xlsx", language="es", status="confirmed", q="Ñúñez", sort="name")
    db.session.commit()
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert entry.action == "export.xlsx"
    assert (entry.user_id, entry.actor, entry.event_id, entry.ip) == (
        organiser.id, "maría-josé.núñez@ipu.example.org", panel.event.id, "198.51.100.7")
    assert entry.details == {"filters": {"q": "Ñúñez", "status": "confirmed", "language": "es"}}
    assert entry.created_at == WINTER_EVENING


def _xlsx(export):
    return openpyxl.load_workbook(io.BytesIO(b"".join(export.open())))


def test_the_xlsx_holds_the_same_columns_with_typed_cells(db, panel, organiser):
    export = _export(db, panel, organiser, "xlsx", language="es", sort="name", dir="asc")
    db.session.commit()
    book = _xlsx(export)
    assert book.sheetnames == ["Registrations", "Walk-ins"]
    sheet = book["Registrations"]
    assert [c.value for c in sheet[1]] == HEADER
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AC4"
    expected = _expected_rows(panel)
    for row_number, wanted in enumerate(expected, start=2):
        cells = sheet[row_number]
        got = []
        for header, cell in zip(HEADER, cells, strict=True):
            value = cell.value
            if value is None:
                got.append("")
            elif header in ("ID", "Minutes attended"):
                assert cell.data_type == "n" and isinstance(value, int)
                got.append(str(value))
            elif header == "Attended":
                assert cell.data_type == "b"
                got.append("yes" if value else "no")
            elif "(Europe/Zurich)" in header:
                assert cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm"
                got.append(f"{value:%Y-%m-%d %H:%M}")
            else:
                assert cell.data_type == "s"
                got.append(value.replace("_x000D_", "\r"))
        assert got == wanted
    # The exact instant, in Geneva's wall-clock time (seconds kept).
    assert sheet.cell(row=3, column=HEADER.index("Registered (Europe/Zurich)") + 1).value == datetime(
        2026, 9, 26, 15, 5, 30)
    assert export.filename == "parliamentary-solidarity-registrations-20261201-1905.xlsx"
    assert export.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_xlsx_has_a_walk_ins_sheet_in_join_order_with_local_times(db, panel, organiser):
    book = _xlsx(_export(db, panel, organiser, "xlsx", language="es"))
    sheet = book["Walk-ins"]
    assert [c.value for c in sheet[1]] == WALK_IN_HEADER
    got = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert got == [
        [name, email,
         datetime.strptime(joined, "%Y-%m-%d %H:%M") if joined else None, int(minutes)]
        for name, email, joined, minutes in WALK_IN_ROWS
    ]
    assert sheet.auto_filter.ref == "A1:D6"
    assert sheet.freeze_panes == "A2"


def test_the_walk_ins_csv_lists_only_this_events_unmatched_walk_ins_in_join_order(db, panel, organiser):
    if db.engine.dialect.name == "postgresql":
        # Read the table in storage order, where Ólafur's rewritten row now comes after
        # Anne-Marie's: the order of the file must not depend on how the rows are stored.
        db.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
        db.session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
    export = services.export_walk_ins(db.session, panel.event, user=organiser, ip="2001:db8::7",
                                      now=WINTER_EVENING)
    db.session.commit()
    rows = _csv(export)
    assert rows == [WALK_IN_HEADER, *WALK_IN_ROWS]
    assert export.filename == "parliamentary-solidarity-walk-ins-20261201-1905.csv"
    assert export.content_type == "text/csv; charset=utf-8"
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.action, entry.user_id, entry.event_id, entry.ip) == (
        "export.walk_ins", organiser.id, panel.event.id, "2001:db8::7")


def test_a_walk_ins_csv_for_an_event_without_walk_ins_is_the_header_alone(db, panel, organiser, make_event):
    quiet = make_event(slug="quiet-panel", timezone="Asia/Tokyo")
    rows = _csv(services.export_walk_ins(db.session, quiet, user=organiser, now=WINTER_EVENING))
    assert rows == [["Name shown in Zoom", "Email", "First joined (Asia/Tokyo)", "Minutes attended"]]


def test_the_file_name_uses_the_events_local_date_and_time(db, panel, organiser, make_event):
    tokyo = make_event(slug="asia-pacific-dialogue", timezone="Asia/Tokyo")
    # 18:05 UTC on 1 December is 03:05 on 2 December in Tokyo.
    assert services.export_filename(tokyo, "xlsx", WINTER_EVENING) == (
        "asia-pacific-dialogue-registrations-20261202-0305.xlsx")
    assert services.export_filename(tokyo, "csv", WINTER_EVENING, "walk-ins") == (
        "asia-pacific-dialogue-walk-ins-20261202-0305.csv")


def test_a_french_organisers_files_read_in_french(app, db, panel, organiser):
    with app.test_request_context(), force_locale("fr"):
        csv_rows = _csv(_export(db, panel, organiser, "csv", language="es", sort="name", dir="asc"))
        book = _xlsx(_export(db, panel, organiser, "xlsx", language="es", sort="name", dir="asc"))
    assert [row[HEADER.index("Attended")] for row in csv_rows[1:]] == ["non", "oui", ""]
    assert book.sheetnames == ["Inscriptions", "Participants non inscrits"]
