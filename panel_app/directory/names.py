"""How a parliament's name is recognised: in any of its languages, whatever the spacing or case.

The registration form, the import and the console all compare names through `name_key`, so
"Assemblée  nationale du sénégal" typed in the form is the entry imported as "Assemblée
nationale du Sénégal". Accents are kept (they tell names apart in some languages).
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.models import Organisation


def clean_name(text: str | None) -> str:
    """The name as stored: NFC, runs of white space made one space, trimmed."""
    return unicodedata.normalize("NFC", " ".join((text or "").split()))


def name_key(text: str | None) -> str:
    """The name as compared: `clean_name`, case-folded (and NFC again: folding may decompose)."""
    return unicodedata.normalize("NFC", clean_name(text).casefold())


def names_of(organisation: Organisation) -> list[str]:
    """The entry's name, then its names in other languages."""
    return [organisation.name, *[name for name in (organisation.translations or {}).values() if name]]


def find_by_name(session: Session, text: str | None) -> Organisation | None:
    """The active directory entry called `text` in any of its languages, or None.

    Reads the active entries' names (a few hundred short rows); an exact match on the default
    name is tried first so the common case costs one indexed query.
    """
    key = name_key(text)
    if not key or len(key) > 300:
        return None
    exact = session.scalar(sa.select(Organisation).where(Organisation.name == clean_name(text),
                                                         Organisation.active.is_(True)))
    if exact is not None:
        return exact
    rows = session.execute(sa.select(Organisation.id, Organisation.name, Organisation.translations)
                           .where(Organisation.active.is_(True)))
    for organisation_id, name, translations in rows:
        if key in {name_key(n) for n in (name, *(translations or {}).values())}:
            return session.get(Organisation, organisation_id)
    return None
