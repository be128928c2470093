"""The list of parliaments and organisations offered in the form, maintained from CSV.

CSV columns: `name`, `country` (ISO alpha-2, may be empty), `affiliation_type`
(member_parliament | associate_member | permanent_observer), and optionally the name in
other languages (`name_fr`, `name_es`: offered to visitors reading the form in that
language). Importing marks names absent from the file as inactive instead of deleting them
(membership changes over time).
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from typing import IO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.core.languages import CODES
from panel_app.models import AffiliationType, Organisation
from panel_app.registration.countries import country_codes, sort_key


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    deactivated: int = 0
    errors: list[str] | None = None


def organisation_names(session: Session, locale: str = "en") -> list[str]:
    """Active organisations' names in `locale` (the default name where none is given), sorted."""
    rows = session.execute(sa.select(Organisation.name, Organisation.translations).where(Organisation.active))
    names = {((translations or {}).get(locale) or name) for name, translations in rows}
    return sorted(names, key=sort_key)


def import_csv(session: Session, stream: IO[str], *, deactivate_missing: bool = True) -> ImportReport:
    """Load or update organisations from CSV; rows with errors are reported, not imported."""
    report = ImportReport(errors=[])
    reader = csv.DictReader(stream)
    try:
        fieldnames = set(reader.fieldnames or [])
        rows = [(reader.line_num, row) for row in reader]  # line_num copes with quoted newlines
    except (csv.Error, UnicodeDecodeError) as exc:
        # Not a CSV file at all (binary, wrong encoding): say so rather than fail half-way.
        report.errors.append(f"the file cannot be read as UTF-8 CSV: {exc}")
        return report
    missing = {"name", "affiliation_type"} - fieldnames
    if missing:
        report.errors.append(f"missing column(s): {', '.join(sorted(missing))}")
        return report
    if not rows:
        # Importing an empty list would deactivate every organisation: surely a mistake.
        report.errors.append("the file has a header but no organisations")
        return report
    existing = {o.name: o for o in session.scalars(sa.select(Organisation))}
    seen: set[str] = set()
    valid_types = {a.value for a in AffiliationType}
    for line, row in rows:
        name = unicodedata.normalize("NFC", " ".join((row.get("name") or "").split()))
        country = (row.get("country") or "").strip().upper()
        kind = (row.get("affiliation_type") or "").strip()
        if not name or len(name) > 300:
            report.errors.append(f"line {line}: name is empty or longer than 300 characters")
            continue
        if name in seen:
            report.errors.append(f"line {line}: {name!r} appears more than once")
            continue
        if country and country not in country_codes():
            report.errors.append(f"line {line}: unknown country code {country!r}")
            continue
        if kind not in valid_types:
            report.errors.append(f"line {line}: affiliation_type must be one of {', '.join(sorted(valid_types))}")
            continue
        translations = {}
        for code in CODES:
            translated = unicodedata.normalize("NFC", " ".join((row.get(f"name_{code}") or "").split()))
            if translated and translated != name and len(translated) <= 300:
                translations[code] = translated
        seen.add(name)
        org = existing.get(name)
        if org is None:
            session.add(Organisation(name=name, country=country, affiliation_type=kind, active=True,
                                     translations=translations))
            report.added += 1
        elif (org.country, org.affiliation_type, org.active, org.translations or {}) != (country, kind, True,
                                                                                         translations):
            org.country, org.affiliation_type, org.active, org.translations = country, kind, True, translations
            report.updated += 1
    if deactivate_missing and not report.errors:
        for name, org in existing.items():
            if name not in seen and org.active:
                org.active = False
                report.deactivated += 1
    session.flush()
    return report
