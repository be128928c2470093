"""Exporting an event's registrations: the audit record, the file name, the file itself.

`export_registrations` records who exported what (the caller commits that entry before the
body is sent, so it stands even if the download is interrupted) and answers a
`RegistrationExport` whose `open()` produces the bytes. CSV streams as the rows are read;
XLSX is assembled in a temporary file first (a zip needs its end to write its start), row
by row in constant memory, then streamed and deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.exports.registrations import registration_columns
from panel_app.exports.writers import Column, csv_chunks, file_chunks, xlsx_temp_file
from panel_app.models import Event, User

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

    @property
    def content_type(self) -> str:
        return KINDS[self.kind][1]

    def open(self) -> Iterator[bytes]:
        """The file's bytes in chunks (XLSX: built now, before the first chunk)."""
        zone = self.event.zone
        if self.kind == "csv":
            return csv_chunks(self.columns, self.rows, zone=zone, yes=_("yes"), no=_("no"))
        path = xlsx_temp_file(self.columns, self.rows, zone=zone, sheet_name=_("Registrations"))
        return file_chunks(path)


def export_filename(event: Event, kind: str, now: datetime) -> str:
    """`<slug>-registrations-<local date and time>.<ext>`, in the event's zone."""
    return f"{event.slug}-registrations-{now.astimezone(event.zone):%Y%m%d-%H%M}.{KINDS[kind][0]}"


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
    return RegistrationExport(event=event, kind=kind, columns=registration_columns(event, locale), rows=rows,
                              filename=export_filename(event, kind, now))
