"""Import the directory of parliaments and their contacts from CSV or an Excel workbook.

Columns (header names, any order, case and spacing forgiven): `name` and `affiliation_type`
(member_parliament | associate_member | permanent_observer) are required; `name_fr`, `name_es`
(the name in those languages), `country` (ISO 3166-1 alpha-2, empty for international
bodies), `region`, and one contact per row: `contact_name`, `contact_email`,
`contact_function`, `contact_language` (en, fr, es; empty: en). Further rows with the same
parliament name add contacts to it; their parliament columns may be left empty, and must
agree with the first row where they are not.

All or nothing: every line is checked first and the report lists every problem by line;
the directory changes only when there is none. Re-importing updates entries by name:
entries (and, when the file has a `contact_email` column, contacts) missing from the file
become inactive, never deleted, so registrations and letters keep pointing at them; those
that come back become active again. Cells are read as text: an Excel formula is imported as
the text it shows in the formula bar, never evaluated.

Longer than our ~350-line guide: reading two formats, checking each column, and applying
the result with its history rules belong together, and each part is short.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.core.languages import CODES
from panel_app.directory.names import clean_name, name_key
from panel_app.models import AffiliationType, Contact, Organisation
from panel_app.registration import validation
from panel_app.registration.countries import country_codes

REQUIRED = ("name", "affiliation_type")
ORGANISATION_COLUMNS = ("country", "affiliation_type", "region", *[f"name_{code}" for code in CODES if code != "en"])
CONTACT_COLUMNS = ("contact_name", "contact_email", "contact_function", "contact_language")
LIMITS = {"name": 300, "region": 100, "contact_name": 200, "contact_function": 300,
          **{f"name_{code}": 300 for code in CODES}}
#: A directory of every parliament with a few contacts each is a few thousand rows.
MAX_ROWS = 20_000
#: Problems listed in full; past this the report says how many more there are.
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: `line` (None for the whole file), a code and its values."""

    line: int | None
    code: str
    values: dict = field(default_factory=dict)

    def text(self) -> str:
        """The problem in the reader's language (English in the CLI)."""
        message = _problem_message(self.code, self.values)
        return _("Line %(line)d: %(problem)s", line=self.line, problem=message) if self.line else message


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    deactivated: int = 0
    contacts_added: int = 0
    contacts_updated: int = 0
    contacts_deactivated: int = 0
    rows: int = 0
    #: The file's column names, as read (lower case, spaces made underscores).
    columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Problems found past MAX_PROBLEMS (counted, not listed).
    more_problems: int = 0

    @property
    def errors(self) -> list[str]:
        return [problem.text() for problem in self.problems]

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict:
        return {name: getattr(self, name) for name in ("rows", "added", "updated", "deactivated", "contacts_added",
                                                        "contacts_updated", "contacts_deactivated")}

    def add(self, line: int | None, code: str, **values) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(line, code, values))
        else:
            self.more_problems += 1


def _problem_message(code: str, v: dict) -> str:
    messages = {
        "unreadable": lambda: _("The file cannot be read as UTF-8 CSV or as an Excel workbook (.xlsx)."),
        "missing_columns": lambda: _("Missing column(s): %(columns)s.", columns=v["columns"]),
        "empty": lambda: _("The file has a header but no parliaments or organisations."),
        "too_many_rows": lambda: _("The file has more than %(limit)d rows.", limit=MAX_ROWS),
        "name_required": lambda: _("The name is empty."),
        "too_long": lambda: _("“%(column)s” is longer than %(limit)d characters.", column=v["column"],
                              limit=v["limit"]),
        "bad_text": lambda: _("“%(column)s” contains characters that cannot be used (control codes or invisible "
                              "direction marks).", column=v["column"]),
        "country": lambda: _("Unknown country code “%(value)s”: use a two-letter ISO code such as SN.",
                             value=v["value"]),
        "affiliation": lambda: _("“affiliation_type” must be one of %(choices)s (found “%(value)s”).",
                                 choices=", ".join(a.value for a in AffiliationType), value=v["value"]),
        "conflict": lambda: _("“%(name)s” is also on line %(other)d, with a different “%(column)s”.",
                              name=v["name"], other=v["other"], column=v["column"]),
        "name_taken": lambda: _("The name “%(name)s” is already used by another parliament on line %(other)d.",
                                name=v["name"], other=v["other"]),
        "contact_email_missing": lambda: _("The contact has no email address."),
        "contact_email_invalid": lambda: _("The contact's email address “%(value)s” is not valid.", value=v["value"]),
        "contact_duplicate": lambda: _("The contact %(email)s is already listed for this parliament on line "
                                       "%(other)d.", email=v["email"], other=v["other"]),
        "language": lambda: _("Unknown contact language “%(value)s”: use one of %(choices)s.", value=v["value"],
                              choices=", ".join(CODES)),
    }
    return messages[code]() if code in messages else code


# -- reading ------------------------------------------------------------------------------------


def _header(name) -> str:
    return "_".join(str(name or "").strip().lower().split())


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def read_csv(stream: IO[str], report: ImportReport) -> list[tuple[int, dict]] | None:
    """(line, {column: text}) per row of a CSV text stream, or None (with the problem reported)."""
    try:
        reader = csv.reader(stream)
        header = [_header(name) for name in next(reader, [])]
        rows = []
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, dict(zip(header, cells, strict=False))))
            if len(rows) > MAX_ROWS:
                report.add(None, "too_many_rows")
                return None
    except (csv.Error, UnicodeDecodeError):
        report.add(None, "unreadable")
        return None
    return _checked_shape(header, rows, report)


def read_xlsx(data: bytes, report: ImportReport) -> list[tuple[int, dict]] | None:
    """Rows of the first sheet of an .xlsx workbook; formulas come back as their text."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header = [_header(name) for name in next(iterator, ())]
        rows = []
        for number, cells in enumerate(iterator, start=2):
            values = [_cell(cell) for cell in cells]
            if any(value.strip() for value in values):
                rows.append((number, dict(zip(header, values, strict=False))))
            if len(rows) > MAX_ROWS:
                report.add(None, "too_many_rows")
                return None
        workbook.close()
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError):
        report.add(None, "unreadable")
        return None
    return _checked_shape(header, rows, report)


def _checked_shape(header: list[str], rows: list, report: ImportReport) -> list | None:
    report.columns = header
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        report.add(None, "missing_columns", columns=", ".join(missing))
        return None
    if not rows:
        # Importing an empty list would deactivate every entry: surely a mistake.
        report.add(None, "empty")
        return None
    return rows


def read_file(filename: str, data: bytes, report: ImportReport) -> list[tuple[int, dict]] | None:
    """Rows of an uploaded file: a workbook when it is one (by content, whatever its name), else CSV."""
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return read_xlsx(data, report)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:  # not text at all (or not UTF-8): say so rather than report every line
        report.add(None, "unreadable")
        return None
    return read_csv(io.StringIO(text, newline=""), report)


# -- checking -----------------------------------------------------------------------------------


@dataclass
class _Entry:
    line: int
    name: str
    values: dict  # organisation columns as given on its first row
    translations: dict
    contacts: dict = field(default_factory=dict)  # email_normalized -> (line, contact values)


def _text(report: ImportReport, line: int, row: dict, column: str) -> str:
    raw = row.get(column) or ""
    try:
        text = validation.clean_text(raw, max_length=LIMITS.get(column, 300))
    except validation.InvalidInput as exc:
        if exc.code == "too_long":
            report.add(line, "too_long", column=column, limit=LIMITS.get(column, 300))
        else:
            report.add(line, "bad_text", column=column)
        return ""
    return " ".join(text.split()) if column.startswith(("name", "region", "contact_name")) else text


def check_rows(rows: list[tuple[int, dict]], report: ImportReport) -> dict[str, _Entry]:
    """The parliaments of the file by name key, with every problem added to `report`."""
    entries: dict[str, _Entry] = {}
    names_seen: dict[str, tuple[str, int]] = {}  # any language's name key -> (entry key, line)
    kinds = {a.value for a in AffiliationType}
    for line, row in rows:
        before = len(report.problems) + report.more_problems
        name = clean_name(_text(report, line, row, "name"))
        if not name:
            if len(report.problems) + report.more_problems == before:
                report.add(line, "name_required")
            continue
        key = name_key(name)
        given = {column: _text(report, line, row, column) for column in ORGANISATION_COLUMNS}
        given["country"] = given["country"].upper()
        entry = entries.get(key)
        if entry is None:
            if given["country"] and given["country"] not in country_codes():
                report.add(line, "country", value=given["country"])
            if given["affiliation_type"] not in kinds:
                report.add(line, "affiliation", value=given["affiliation_type"])
            translations = {code: given[f"name_{code}"] for code in CODES
                            if given.get(f"name_{code}") and given[f"name_{code}"] != name}
            entry = entries[key] = _Entry(line, name, given, translations)
            for other_name in (name, *translations.values()):
                other_key = name_key(other_name)
                if other_key in names_seen and names_seen[other_key][0] != key:
                    report.add(line, "name_taken", name=other_name, other=names_seen[other_key][1])
                names_seen.setdefault(other_key, (key, line))
        else:
            for column in ORGANISATION_COLUMNS:
                if given[column] and given[column] != entry.values[column]:
                    report.add(line, "conflict", name=name, other=entry.line, column=column)
                    break
        _check_contact(report, line, row, entry)
    return entries


def _check_contact(report: ImportReport, line: int, row: dict, entry: _Entry) -> None:
    values = {column: _text(report, line, row, column) for column in CONTACT_COLUMNS if column != "contact_email"}
    email = (row.get("contact_email") or "").strip()
    if not email:
        if values["contact_name"] or values["contact_function"]:
            report.add(line, "contact_email_missing")
        return
    try:
        email, email_normalized = validation.normalise_email(email)
    except validation.InvalidInput:
        report.add(line, "contact_email_invalid", value=email[:100])
        return
    language = values["contact_language"].lower() or "en"
    if language not in CODES:
        report.add(line, "language", value=values["contact_language"])
    if email_normalized in entry.contacts:
        report.add(line, "contact_duplicate", email=email, other=entry.contacts[email_normalized][0])
        return
    entry.contacts[email_normalized] = (line, {"name": values["contact_name"], "email": email,
                                               "function": values["contact_function"], "language": language})


# -- applying -----------------------------------------------------------------------------------


def import_rows(
    session: Session, rows: list[tuple[int, dict]] | None, report: ImportReport, *,
    deactivate_missing: bool = True, actor=None, now: datetime | None = None, source: str = "",
) -> ImportReport:
    """Check `rows` and, when nothing is wrong, apply them to the directory (flushes)."""
    if rows is None:
        return report
    report.rows = len(rows)
    # A file without contact columns (the older format) leaves contacts as they are.
    with_contacts = "contact_email" in report.columns
    entries = check_rows(rows, report)
    if not report.ok:
        return report
    existing = {name_key(o.name): o for o in session.scalars(sa.select(Organisation))}
    contacts_of: dict[int, dict[str, Contact]] = {}
    for contact in session.scalars(sa.select(Contact)):
        contacts_of.setdefault(contact.organisation_id, {})[contact.email_normalized] = contact
    for key, entry in entries.items():
        values = {"name": entry.name, "country": entry.values["country"], "region": entry.values["region"],
                  "affiliation_type": entry.values["affiliation_type"], "translations": entry.translations,
                  "active": True}
        organisation = existing.get(key)
        if organisation is None:
            organisation = Organisation(**values)
            session.add(organisation)
            session.flush()
            report.added += 1
        elif any(getattr(organisation, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(organisation, name, value)
            report.updated += 1
        if with_contacts:
            _apply_contacts(session, organisation, entry, contacts_of.get(organisation.id, {}), report)
    if deactivate_missing:
        for key, organisation in existing.items():
            if key not in entries and organisation.active:
                organisation.active = False
                report.deactivated += 1
            if key not in entries and with_contacts:
                for contact in contacts_of.get(organisation.id, {}).values():
                    if contact.active:
                        contact.active = False
                        report.contacts_deactivated += 1
    session.flush()
    if actor is not None:
        record(session, "directory.import", actor=actor, details={"file": source[:200], **report.counts()}, now=now)
    return report


def _apply_contacts(session: Session, organisation: Organisation, entry: _Entry, current: dict[str, Contact],
                    report: ImportReport) -> None:
    for email_normalized, (_line, values) in entry.contacts.items():
        contact = current.get(email_normalized)
        if contact is None:
            session.add(Contact(organisation_id=organisation.id, email_normalized=email_normalized, active=True,
                                **values))
            report.contacts_added += 1
        elif any(getattr(contact, k) != v for k, v in values.items()) or not contact.active:
            for name, value in values.items():
                setattr(contact, name, value)
            contact.active = True
            report.contacts_updated += 1
    for email_normalized, contact in current.items():
        if email_normalized not in entry.contacts and contact.active:
            contact.active = False
            report.contacts_deactivated += 1


def import_file(session: Session, filename: str, data: bytes, *, deactivate_missing: bool = True, actor=None,
                now: datetime | None = None) -> ImportReport:
    """Import an uploaded CSV or .xlsx file (see the module's description); flushes."""
    report = ImportReport()
    rows = read_file(filename, data, report)
    return import_rows(session, rows, report, deactivate_missing=deactivate_missing,
                       actor=actor, now=now, source=filename)


def import_csv(session: Session, stream: IO[str], *, deactivate_missing: bool = True) -> ImportReport:
    """Import CSV text from `stream` (the CLI and the demo)."""
    report = ImportReport()
    rows = read_csv(stream, report)
    return import_rows(session, rows, report, deactivate_missing=deactivate_missing)
