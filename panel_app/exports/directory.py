"""Exporting an event's coverage (which parliaments it reaches) and the follow-up answers.

Same writers, same formula guard and same audit habit as the registrations export
(`exports.services`): the caller commits the audit entry before the body is sent. Column
headers come out in the organiser's language; the follow-up file has one row per parliament,
with a "taken" and a "details" column per action, and in Excel a second sheet listing each
action a parliament took on a row of its own (easy to filter by action).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.directory.coverage import CoverageRow
from panel_app.directory.follow_up import ACTIONS, action_label, answers_of
from panel_app.exports.services import KINDS, export_filename
from panel_app.exports.writers import Column, csv_chunks, file_chunks, xlsx_temp_file
from panel_app.models import Event, FollowUpReport, User
from panel_app.registration.countries import country_name
from panel_app.registration.forms import AFFILIATION_LABELS


@dataclass(frozen=True)
class TableExport:
    event: Event
    kind: str
    sheet_name: str
    columns: list[Column]
    rows: Iterable
    filename: str
    sheets: tuple[tuple[str, list[Column], Iterable], ...] = field(default=())

    @property
    def content_type(self) -> str:
        return KINDS[self.kind][1]

    def open(self) -> Iterator[bytes]:
        """The file's bytes in chunks (XLSX: built now, before the first chunk)."""
        if self.kind == "csv":
            return csv_chunks(self.columns, self.rows, zone=self.event.zone, yes=_("yes"), no=_("no"))
        path = xlsx_temp_file(self.columns, self.rows, zone=self.event.zone, sheet_name=self.sheet_name,
                              more=self.sheets)
        return file_chunks(path)


def _affiliation(code: str) -> str:
    return str(AFFILIATION_LABELS.get(code, code))


def coverage_columns(locale: str, link: Callable[[int], str | None]) -> list[Column]:
    """Columns of the coverage export; `link(organisation_id)` is the registration link or None."""
    return [
        Column(_("Parliament or organisation"), lambda r: r.organisation.name, width=44),
        Column(_("Country"), lambda r: country_name(r.organisation.country, locale) if r.organisation.country else "",
               width=22),
        Column(_("Region"), lambda r: r.organisation.region, width=20),
        Column(_("Affiliation"), lambda r: _affiliation(r.organisation.affiliation_type), width=22),
        Column(_("Represented"), lambda r: bool(r.registered), "bool", width=12),
        Column(_("Registrants"), lambda r: r.registered, "int", width=12),
        Column(_("Confirmed"), lambda r: r.confirmed, "int", width=12),
        Column(_("Attended"), lambda r: r.attended, "int", width=12),
        Column(_("Registration link"), lambda r: link(r.organisation.id), width=60),
    ]


def export_coverage(session: Session, event: Event, rows: list[CoverageRow], *, kind: str, selection: dict,
                    locale: str, link: Callable[[int], str | None], user: User, ip: str | None,
                    now: datetime) -> TableExport:
    """Record the export of the coverage list (`selection`: its filters) and prepare the file (flushes)."""
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    record(session, f"export.coverage.{kind}", actor=user, event_id=event.id, details={"filters": selection},
           ip=ip, now=now)
    session.flush()
    return TableExport(event=event, kind=kind, sheet_name=_("Coverage"), columns=coverage_columns(locale, link),
                       rows=rows, filename=export_filename(event, kind, now, "coverage"))


def follow_up_columns(locale: str) -> list[Column]:
    """One row per parliament asked: who answered, when, and each action (taken, details)."""
    columns = [
        Column(_("Parliament or organisation"), lambda r: r.organisation.name, width=44),
        Column(_("Country"), lambda r: country_name(r.organisation.country, locale) if r.organisation.country else "",
               width=22),
        Column(_("Region"), lambda r: r.organisation.region, width=20),
        Column(_("Answered"), lambda r: r.submitted_at is not None, "bool", width=12),
        Column(_("First answered"), lambda r: r.submitted_at, "datetime"),
        Column(_("Last changed"), lambda r: r.answered_at, "datetime"),
        Column(_("Answered by"), lambda r: r.submitted_by, width=28),
        Column(_("Function"), lambda r: r.submitted_function, width=28),
        Column(_("Language"), lambda r: r.language or "", width=10),
    ]
    for code in ACTIONS:
        label = action_label(code)
        columns.append(Column(label, _taken(code), "bool", width=14))
        columns.append(Column(_("%(action)s: details", action=label), _text(code), width=40))
    return columns


def _taken(code: str) -> Callable[[FollowUpReport], bool | None]:
    def get(report: FollowUpReport) -> bool | None:
        return answers_of(report)[code].taken if report.submitted_at is not None else None
    return get


def _text(code: str) -> Callable[[FollowUpReport], str]:
    def get(report: FollowUpReport) -> str:
        return answers_of(report)[code].text if report.submitted_at is not None else ""
    return get


def _actions_taken(reports: list[FollowUpReport]) -> Iterator[tuple[str, FollowUpReport, str]]:
    for report in reports:
        if report.submitted_at is None:
            continue
        for code, answer in answers_of(report).items():
            if answer.taken:
                yield action_label(code), report, answer.text


def export_follow_up(session: Session, event: Event, reports: list[FollowUpReport], *, kind: str, locale: str,
                     user: User, ip: str | None, now: datetime) -> TableExport:
    """Record the export of the follow-up answers and prepare the file (flushes)."""
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    record(session, f"export.follow_up.{kind}", actor=user, event_id=event.id, ip=ip, now=now)
    session.flush()
    sheets = ()
    if kind == "xlsx":
        by_action = [Column(_("Action"), lambda t: t[0], width=44),
                     Column(_("Parliament or organisation"), lambda t: t[1].organisation.name, width=44),
                     Column(_("Details"), lambda t: t[2], width=80)]
        sheets = ((_("By action"), by_action, _actions_taken(reports)),)
    return TableExport(event=event, kind=kind, sheet_name=_("Follow-up"), columns=follow_up_columns(locale),
                       rows=reports, filename=export_filename(event, kind, now, "follow-up"), sheets=sheets)
