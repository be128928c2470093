"""Registration exports (exports/services.py): audit record first, then the file, lazily."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from panel_app.admin.registrations.filters import RegistrationFilters
from panel_app.admin.registrations.services import export_rows
from panel_app.exports import services
from panel_app.models import AuditEntry

WINTER_EVENING = datetime(2026, 12, 1, 18, 5, tzinfo=UTC)  # 19:05 in Geneva (CET)


@pytest.fixture
def event(make_event, make_registration):
    event = make_event(slug="parliamentary-solidarity", timezone="Europe/Zurich")
    make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk", organisation="=HYPERLINK(1)",
                      language="es")
    make_registration(event, first_name="Amina", last_name="Diallo", language="fr", status="waitlisted")
    return event


def _export(db, event, organiser, kind, **filters):
    chosen = RegistrationFilters(**filters)
    return services.export_registrations(
        db.session, event, export_rows(db.session, event, chosen), kind=kind, selection=chosen.selection(),
        locale="en", user=organiser, ip="198.51.100.7", now=WINTER_EVENING,
    )


def test_an_export_is_audited_with_its_filters_before_any_row_is_read(db, event, organiser, make_registration):
    export = _export(db, event, organiser, "csv", language="es")
    db.session.commit()
    make_registration(event, first_name="Zoë", last_name="Ndiaye", language="es")  # after the audit commit
    body = b"".join(export.open()).decode("utf-8-sig")
    assert [r["Last name"] for r in csv.DictReader(io.StringIO(body))] == ["Ndiaye", "Ñúñez-Öztürk"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export.csv"))
    assert (entry.user_id, entry.event_id, entry.ip) == (organiser.id, event.id, "198.51.100.7")
    assert entry.details == {"filters": {"language": "es"}}
    assert export.filename == "parliamentary-solidarity-registrations-20261201-1905.csv"
    assert export.content_type == "text/csv; charset=utf-8"


def test_the_csv_holds_the_filtered_rows_with_formulas_neutralised(db, event, organiser):
    export = _export(db, event, organiser, "csv", language="es")
    db.session.commit()
    body = b"".join(export.open()).decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert (row["First name"], row["Last name"]) == ("María-José", "Ñúñez-Öztürk")
    assert row["Parliament or organisation"] == "'=HYPERLINK(1)"


def test_the_xlsx_holds_every_selected_row(db, event, organiser):
    export = _export(db, event, organiser, "xlsx", sort="name", dir="asc")
    db.session.commit()
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.open())))
    names = [row[4].value for row in book.active.iter_rows(min_row=2)]
    assert names == ["Diallo", "Ñúñez-Öztürk"]
    assert export.filename.endswith(".xlsx") and export.content_type.startswith("application/vnd.openxmlformats")


def test_an_unknown_kind_is_refused_and_nothing_is_recorded(db, event, organiser):
    with pytest.raises(ValueError, match="unknown export kind 'pdf'"):
        _export(db, event, organiser, "pdf")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
