"""Exporting an event's registrations (and walk-ins): the audit record, the file name, the file.

`export_registrations` records who exported what (the caller commits that entry before the
body is sent, so it stands even if the download is interrupted) and answers a
`RegistrationExport` whose `open()` produces the bytes. CSV streams as the rows are read;
XLSX is assembled in a temporary file first (a zip needs its end to write its start), row
by row in constant memory, then streamed and deleted. The workbook has a second sheet with
the event's walk-ins (people in the meeting whom no registration matched); `export_walk_ins`
gives them as a CSV of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.exports.registrations import registration_columns, walk_in_columns
from panel_app.exports.writers import Column, csv_chunks, file_chunks, xlsx_temp_file
from panel_app.models import Event, User, WalkIn

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Export kinds: (file extension, Content-Type).
KINDS = {"csv": ("csv", "text/csv; charset=utf-8"), "xlsx": ("xlsx", XLSX_MIME)}


@dataclass(frozen=True)
class RegistrationExport:
    event: Event
    kind: str
    columns: list[Column]
    #: Light rows in list order; not read before `open()`.
    rows: Iterable
    filename: str
    #: Further XLSX sheets: (name, columns, a function giving the rows when the file is built).
    sheets: tuple[tuple[str, list[Column], Callable[[], Iterable]], ...] = field(default=())

    @property
    def content_type(self) -> str:
        return KINDS[self.kind][1]

    def open(self) -> Iterator[bytes]:
        """The file's bytes in chunks (XLSX: built now, before the first chunk)."""
        zone = self.event.zone
        if self.kind == "csv":
            return csv_chunks(self.columns, self.rows, zone=zone, yes=_("yes"), no=_("no"))
        more = [(name, columns, rows()) for name, columns, rows in self.sheets]
        path = xlsx_temp_file(self.columns, self.rows, zone=zone, sheet_name=_("Registrations"), more=more)
        return file_chunks(path)


def export_filename(event: Event, kind: str, now: datetime, what: str = "registrations") -> str:
    """`<slug>-<what>-<local date and time>.<ext>`, in the event's zone."""
    return f"{event.slug}-{what}-{now.astimezone(event.zone):%Y%m%d-%H%M}.{KINDS[kind][0]}"


def walk_in_rows(session: Session, event: Event) -> Iterable[WalkIn]:
    """The event's unmatched walk-ins, earliest first."""
    return session.scalars(
        sa.select(WalkIn).where(WalkIn.event_id == event.id, WalkIn.matched_registration_id.is_(None))
        .order_by(WalkIn.first_joined_at.is_(None), WalkIn.first_joined_at, WalkIn.id)
    )


def export_registrations(
    session: Session, event: Event, rows: Iterable, *, kind: str, selection: dict, locale: str, user: User,
    ip: str | None = None, now: datetime,
) -> RegistrationExport:
    """Record the export of `rows` (the registrations `selection` chose) and prepare the file.

    The audit entry ("export.csv" / "export.xlsx", with the filters) is flushed; the caller
    commits before calling `open()`.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    record(session, f"export.{kind}", actor=user, event_id=event.id, details={"filters": selection}, ip=ip, now=now)
    session.flush()
    sheets = ((_("Walk-ins"), walk_in_columns(event), lambda: walk_in_rows(session, event)),) if kind == "xlsx" else ()
    return RegistrationExport(event=event, kind=kind, columns=registration_columns(event, locale), rows=rows,
                              filename=export_filename(event, kind, now), sheets=sheets)


def export_walk_ins(session: Session, event: Event, *, user: User, ip: str | None = None,
                    now: datetime) -> RegistrationExport:
    """The walk-ins as CSV, with an audit entry ("export.walk_ins") flushed for the caller to commit."""
    record(session, "export.walk_ins", actor=user, event_id=event.id, ip=ip, now=now)
    session.flush()
    return RegistrationExport(event=event, kind="csv", columns=walk_in_columns(event),
                              rows=walk_in_rows(session, event),
                              filename=export_filename(event, "csv", now, "walk-ins"))
