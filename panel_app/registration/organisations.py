"""The parliaments and organisations the registration form suggests (the directory's active entries).

The directory itself (import, contacts, editing) lives in `panel_app.directory`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.models import Organisation
from panel_app.registration.countries import sort_key


def organisation_names(session: Session, locale: str = "en") -> list[str]:
    """Active organisations' names in `locale` (the default name where none is given), sorted."""
    rows = session.execute(sa.select(Organisation.name, Organisation.translations).where(Organisation.active))
    names = {((translations or {}).get(locale) or name) for name, translations in rows}
    return sorted(names, key=sort_key)
