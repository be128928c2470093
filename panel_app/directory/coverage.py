"""Which parliaments and organisations an event reaches: registered, confirmed, attended.

A registration counts for a directory entry when it is linked to it (`organisation_id`, set
when the form's organisation matches the directory or a parliament's link was used) or, for
registrations from before that link existed, when its organisation is written exactly as the
entry's name in any of its languages.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.models import ACTIVE_STATUSES, Event, Organisation, Registration, RegistrationStatus


@dataclass
class CoverageRow:
    organisation: Organisation
    registered: int = 0  # pending, confirmed or waiting
    confirmed: int = 0
    attended: int = 0


def coverage(session: Session, event: Event) -> list[CoverageRow]:
    """Every active directory entry, by name, with the event's registrations from it (two queries)."""
    organisations = list(session.scalars(
        sa.select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)))
    rows = {o.id: CoverageRow(o) for o in organisations}
    by_name: dict[str, int] = {}
    for o in organisations:
        for name in (o.name, *(o.translations or {}).values()):
            by_name.setdefault(name, o.id)
    registrations = session.execute(
        sa.select(Registration.organisation_id, Registration.organisation, Registration.status, Registration.attended)
        .where(Registration.event_id == event.id,
               Registration.status.in_([s.value for s in ACTIVE_STATUSES]) | Registration.attended.is_(True)))
    for organisation_id, name, status, attended in registrations:
        row = rows.get(organisation_id) if organisation_id is not None else rows.get(by_name.get(name))
        if row is None:
            continue
        if status in {s.value for s in ACTIVE_STATUSES}:
            row.registered += 1
        if status == RegistrationStatus.CONFIRMED:
            row.confirmed += 1
        if attended:
            row.attended += 1
    return list(rows.values())


def unrepresented(session: Session, event: Event) -> list[Organisation]:
    """Active directory entries with nobody registered (pending, confirmed or waiting) for the event."""
    return [row.organisation for row in coverage(session, event) if not row.registered]
