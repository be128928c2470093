"""The directory as organisers keep it by hand: list and filter entries, edit an entry and its contacts.

Functions take a session and plain values, flush, and leave the commit to the caller; every
change is written to the audit log. Nothing is deleted: entries and contacts are switched
off (`active`), so registrations, letters and follow-up reports keep pointing at them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.core.languages import CODES
from panel_app.directory.names import clean_name, name_key
from panel_app.models import AffiliationType, Contact, Organisation
from panel_app.models.folding import fold
from panel_app.registration import validation
from panel_app.registration.countries import country_codes

PER_PAGE = 50


class DirectoryError(ValueError):
    """Values that cannot be saved; `errors` maps form fields to codes."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# -- the list ------------------------------------------------------------------------------------


@dataclass
class DirectoryFilters:
    q: str = ""
    affiliation_type: str = ""
    region: str = ""
    country: str = ""
    active: str = "yes"  # yes | no | all
    page: int = 1

    def query_args(self, **overrides) -> dict:
        defaults = DirectoryFilters()
        values = {**self.__dict__, **overrides}
        return {k: v for k, v in values.items() if v != getattr(defaults, k)}


@dataclass
class DirectoryPage:
    entries: list[Organisation]
    contact_counts: dict[int, int]
    total: int
    page: int
    pages: int
    #: Over the whole directory (not only the filtered rows): entries by affiliation, active ones, contacts.
    counts: dict = field(default_factory=dict)


def regions(session: Session) -> list[str]:
    """The regions in use, sorted (the filter's and the edit form's suggestions)."""
    return sorted(r for r in session.scalars(sa.select(Organisation.region).distinct()) if r)


def list_entries(session: Session, filters: DirectoryFilters) -> DirectoryPage:
    """One page of the entries matching `filters`, by name.

    The search looks in every language's name, ignoring case and accents. A directory is a few
    hundred to a few thousand short rows, so the other filters run in SQL and the name search
    in Python over what they leave (names in other languages sit in a JSON column).
    """
    stmt = sa.select(Organisation).order_by(Organisation.name)
    for name in ("affiliation_type", "region", "country"):
        if getattr(filters, name):
            stmt = stmt.where(getattr(Organisation, name) == getattr(filters, name))
    if filters.active in ("yes", "no"):
        stmt = stmt.where(Organisation.active.is_(filters.active == "yes"))
    entries = list(session.scalars(stmt))
    if filters.q:
        words = fold(filters.q).split()
        entries = [o for o in entries
                   if all(word in fold(" ".join([o.name, *(o.translations or {}).values()])) for word in words)]
    total = len(entries)
    pages = max(1, -(-total // PER_PAGE))
    page = min(filters.page, pages)
    shown = entries[(page - 1) * PER_PAGE: page * PER_PAGE]
    contact_counts = dict(session.execute(
        sa.select(Contact.organisation_id, sa.func.count()).where(
            Contact.organisation_id.in_([o.id for o in shown]), Contact.active.is_(True))
        .group_by(Contact.organisation_id)).all()) if shown else {}
    by_kind = Counter(dict(session.execute(
        sa.select(Organisation.affiliation_type, sa.func.count()).where(Organisation.active.is_(True))
        .group_by(Organisation.affiliation_type)).all()))
    counts = {
        "active": sum(by_kind.values()),
        "inactive": session.scalar(sa.select(sa.func.count()).select_from(Organisation)
                                   .where(Organisation.active.is_(False))),
        "by_affiliation": {a.value: by_kind.get(a.value, 0) for a in AffiliationType},
        "contacts": session.scalar(sa.select(sa.func.count()).select_from(Contact).where(Contact.active.is_(True))),
    }
    return DirectoryPage(shown, contact_counts, total, page, pages, counts)


# -- one entry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationInput:
    name: str
    affiliation_type: str
    country: str = ""
    region: str = ""
    #: {language code: name} for the languages other than the default name's.
    translations: dict | None = None
    active: bool = True


def _clean(errors: dict, name: str, value: str, limit: int) -> str:
    try:
        return " ".join(validation.clean_text(value, max_length=limit).split())
    except validation.InvalidInput as exc:
        errors[name] = exc.code
        return ""


def _checked_organisation(session: Session, data: OrganisationInput, current: Organisation | None) -> dict:
    errors: dict[str, str] = {}
    name = clean_name(_clean(errors, "name", data.name, 300))
    if not name and "name" not in errors:
        errors["name"] = "required"
    translations = {}
    for code, text in (data.translations or {}).items():
        if code in CODES and (cleaned := _clean(errors, f"name_{code}", text or "", 300)) and cleaned != name:
            translations[code] = cleaned
    country = (data.country or "").strip().upper()
    if country and country not in country_codes():
        errors["country"] = "country"
    if data.affiliation_type not in {a.value for a in AffiliationType}:
        errors["affiliation_type"] = "affiliation"
    region = _clean(errors, "region", data.region or "", 100)
    # Every name, in every language, must point at one entry: the form links registrations by name.
    wanted = {name_key(n): field_name for field_name, n in
              [("name", name), *[(f"name_{code}", n) for code, n in translations.items()]] if n}
    for other_id, other_name, other_translations in session.execute(
            sa.select(Organisation.id, Organisation.name, Organisation.translations)):
        if current is not None and other_id == current.id:
            continue
        for other in (other_name, *(other_translations or {}).values()):
            if name_key(other) in wanted:
                errors.setdefault(wanted[name_key(other)], "name_taken")
    if errors:
        raise DirectoryError(errors)
    return {"name": name, "translations": translations, "country": country, "region": region,
            "affiliation_type": data.affiliation_type, "active": bool(data.active)}


def create_organisation(session: Session, data: OrganisationInput, *, actor, now: datetime) -> Organisation:
    values = _checked_organisation(session, data, None)
    organisation = Organisation(**values)
    session.add(organisation)
    session.flush()
    record(session, "directory.create", actor=actor, details={"name": organisation.name}, now=now)
    return organisation


def update_organisation(session: Session, organisation: Organisation, data: OrganisationInput, *, actor,
                        now: datetime) -> dict:
    """Change an entry; returns {field: (old, new)} (empty when nothing changed)."""
    values = _checked_organisation(session, data, organisation)
    changes = {k: (getattr(organisation, k), v) for k, v in values.items() if getattr(organisation, k) != v}
    for name, (_old, new) in changes.items():
        setattr(organisation, name, new)
    if changes:
        session.flush()
        record(session, "directory.edit", actor=actor, details={
            "name": organisation.name, **{k: {"from": old, "to": new} for k, (old, new) in changes.items()}}, now=now)
    return changes


def get_organisation(session: Session, organisation_id: int) -> Organisation | None:
    return session.get(Organisation, organisation_id)


# -- contacts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactInput:
    email: str
    name: str = ""
    function: str = ""
    language: str = "en"
    active: bool = True


def _checked_contact(session: Session, organisation: Organisation, data: ContactInput,
                     current: Contact | None) -> dict:
    errors: dict[str, str] = {}
    values = {"name": _clean(errors, "name", data.name, 200),
              "function": _clean(errors, "function", data.function, 300)}
    try:
        values["email"], values["email_normalized"] = validation.normalise_email(data.email)
    except validation.InvalidInput as exc:
        errors["email"] = "required" if not (data.email or "").strip() else exc.code
    if data.language not in CODES:
        errors["language"] = "language"
    if "email" not in errors:
        taken = session.scalar(sa.select(Contact.id).where(
            Contact.organisation_id == organisation.id, Contact.email_normalized == values["email_normalized"]))
        if taken is not None and (current is None or taken != current.id):
            errors["email"] = "contact_taken"
    if errors:
        raise DirectoryError(errors)
    return {**values, "language": data.language, "active": bool(data.active)}


def add_contact(session: Session, organisation: Organisation, data: ContactInput, *, actor, now: datetime) -> Contact:
    values = _checked_contact(session, organisation, data, None)
    contact = Contact(organisation_id=organisation.id, **values)
    session.add(contact)
    session.flush()
    record(session, "directory.contact.add", actor=actor,
           details={"name": organisation.name, "contact": contact.email}, now=now)
    return contact


def update_contact(session: Session, contact: Contact, data: ContactInput, *, actor, now: datetime) -> dict:
    values = _checked_contact(session, contact.organisation, data, contact)
    changes = {k: (getattr(contact, k), v) for k, v in values.items()
               if k != "email_normalized" and getattr(contact, k) != v}
    for name, value in values.items():
        setattr(contact, name, value)
    if changes:
        session.flush()
        record(session, "directory.contact.edit", actor=actor, details={
            "name": contact.organisation.name, "contact": contact.email,
            **{k: {"from": old, "to": new} for k, (old, new) in changes.items()}}, now=now)
    return changes


def get_contact(session: Session, organisation: Organisation, contact_id: int) -> Contact | None:
    return session.scalar(sa.select(Contact).where(Contact.id == contact_id,
                                                   Contact.organisation_id == organisation.id))
