"""Which parliaments and organisations an event reaches: registered, confirmed, attended.

A registration counts for a directory entry when it is linked to it (`organisation_id`, set
when the form's organisation matches the directory or a parliament's link was used) or, for
registrations from before that link existed, when its organisation is written exactly as the
entry's name in any of its languages.

On top of the rows: counts overall, by region and by affiliation type (`summary`), the
console's filters of the list (`CoverageFilters`, `filtered`), the registration links that
exist (`invitation_tokens`) and making the missing ones at once (`make_invitation_links`, on
an organiser's request: a page view never creates them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from panel_app.directory.links import invitation_for
from panel_app.models import (
    ACTIVE_STATUSES,
    AffiliationType,
    Event,
    EventInvitation,
    Organisation,
    Registration,
    RegistrationStatus,
)


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


def is_represented(session: Session, event: Event, organisation: Organisation) -> bool:
    """Whether someone from `organisation` is registered (pending, confirmed or waiting) for the
    event, by the same rule as `coverage` (one query)."""
    names = [organisation.name, *[n for n in (organisation.translations or {}).values() if n]]
    linked = Registration.organisation_id == organisation.id
    by_name = Registration.organisation_id.is_(None) & Registration.organisation.in_(names)
    return bool(session.scalar(sa.select(sa.exists().where(
        Registration.event_id == event.id, Registration.status.in_([s.value for s in ACTIVE_STATUSES]),
        linked | by_name))))


# -- counts ------------------------------------------------------------------------------------


@dataclass
class CoverageCount:
    """How many directory entries of a group the event reaches, at each stage."""

    key: str
    entries: int = 0
    registered: int = 0  # entries with at least one registrant (pending, confirmed or waiting)
    confirmed: int = 0  # ... with at least one confirmed
    attended: int = 0  # ... with at least one who attended

    def add(self, row: CoverageRow) -> None:
        self.entries += 1
        self.registered += bool(row.registered)
        self.confirmed += bool(row.confirmed)
        self.attended += bool(row.attended)


@dataclass
class CoverageSummary:
    overall: CoverageCount
    #: By region name ("" for entries without one), regions by name, the unnamed last.
    by_region: list[CoverageCount] = field(default_factory=list)
    #: By affiliation type, in the form's order.
    by_affiliation: list[CoverageCount] = field(default_factory=list)


def summary(rows: Iterable[CoverageRow]) -> CoverageSummary:
    """Counts overall, by region and by affiliation type, from `coverage` rows (no query)."""
    overall = CoverageCount("")
    regions: dict[str, CoverageCount] = {}
    affiliations = {a.value: CoverageCount(a.value) for a in AffiliationType}
    for row in rows:
        overall.add(row)
        region = row.organisation.region or ""
        regions.setdefault(region, CoverageCount(region)).add(row)
        affiliation = row.organisation.affiliation_type
        affiliations.setdefault(affiliation, CoverageCount(affiliation)).add(row)
    by_region = sorted(regions.values(), key=lambda c: (c.key == "", c.key.casefold()))
    return CoverageSummary(overall=overall, by_region=by_region,
                           by_affiliation=[c for c in affiliations.values() if c.entries])


# -- the console's list ------------------------------------------------------------------------

#: The list's "reached" filter: how far an entry must be (or not be) represented.
REACHED = {
    "none": _l("Not represented"),
    "registered": _l("At least one registrant"),
    "confirmed": _l("At least one confirmed"),
    "attended": _l("At least one attended"),
}


@dataclass(frozen=True)
class CoverageFilters:
    reached: str = ""
    region: str = ""
    affiliation: str = ""
    dir: str = "asc"

    def query_args(self, **overrides) -> dict[str, str]:
        """The filters as query parameters (empty ones left out), with some changed."""
        values = {"reached": self.reached, "region": self.region, "affiliation": self.affiliation,
                  "dir": "" if self.dir == "asc" else self.dir}
        values.update(overrides)
        return {k: v for k, v in values.items() if v}

    def selection(self) -> dict[str, str]:
        """The filters in use, for the audit entry of an export."""
        return {k: v for k, v in self.query_args().items() if k != "dir"}


def regions(session: Session) -> list[str]:
    """Region names used by active directory entries, by name."""
    names = session.scalars(sa.select(Organisation.region).where(
        Organisation.active.is_(True), Organisation.region != "").distinct())
    return sorted(names, key=str.casefold)


def parse_filters(args: Mapping[str, str], *, known_regions: list[str]) -> tuple[CoverageFilters, list[str]]:
    """Filters from a query string, and which parameters were not understood (their names)."""
    bad = []
    reached = args.get("reached", "")
    if reached and reached not in REACHED:
        bad.append("reached")
        reached = ""
    region = args.get("region", "")
    if region and region not in known_regions:
        bad.append("region")
        region = ""
    affiliation = args.get("affiliation", "")
    if affiliation and affiliation not in {a.value for a in AffiliationType}:
        bad.append("affiliation")
        affiliation = ""
    direction = args.get("dir", "") or "asc"
    if direction not in ("asc", "desc"):
        bad.append("dir")
        direction = "asc"
    return CoverageFilters(reached=reached, region=region, affiliation=affiliation, dir=direction), bad


def _reached(row: CoverageRow, reached: str) -> bool:
    if reached == "none":
        return not row.registered
    return bool(getattr(row, reached)) if reached else True


def filtered(rows: Iterable[CoverageRow], filters: CoverageFilters) -> list[CoverageRow]:
    """The rows the filters keep, by name (as `coverage` orders them) or reversed."""
    kept = [r for r in rows if _reached(r, filters.reached)
            and (not filters.region or r.organisation.region == filters.region)
            and (not filters.affiliation or r.organisation.affiliation_type == filters.affiliation)]
    return kept[::-1] if filters.dir == "desc" else kept


# -- registration links --------------------------------------------------------------------------


def invitation_tokens(session: Session, event: Event) -> dict[int, str]:
    """The event's existing registration links: organisation id -> token (one query, creates none)."""
    return dict(session.execute(sa.select(EventInvitation.organisation_id, EventInvitation.token)
                                .where(EventInvitation.event_id == event.id)).all())


def make_invitation_links(session: Session, event: Event) -> int:
    """Give every active directory entry without one its registration link; how many were made (flushes)."""
    existing = set(invitation_tokens(session, event))
    missing = list(session.scalars(sa.select(Organisation).where(
        Organisation.active.is_(True), Organisation.id.not_in(existing) if existing else sa.true())))
    made = 0
    for organisation in missing:
        invitation_for(session, event, organisation)
        made += 1
    return made
