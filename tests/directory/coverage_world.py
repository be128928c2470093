"""An event whose registrations reach a directory of 240 parliaments in every possible way, and
the counts a reader works out by hand from how the data was made (the tests' oracle)."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

from tests import factories
from tests.directory.parliaments import build_directory

#: What parliament number i sent, by i % 5: nobody; one pending; one confirmed (and one who
#: cancelled); one waiting and one confirmed who attended; only people who cancelled or were declined.
KINDS = ("none", "pending", "confirmed", "attended", "left")


def build_world(db, make_event, count: int = 240) -> SimpleNamespace:
    event = make_event(slug="solidarity-coverage", title="Parliamentary solidarity: Supporting MPs under threat")
    other = make_event(slug="other-panel")
    organisations = build_directory(db.session, count)
    rows = []

    def add(organisation, *, by_name: bool = False, **overrides):
        registration, _ = factories.build_registration(
            event, organisation_id=None if by_name else organisation.id,
            organisation=organisation.translations["fr"] if by_name else organisation.name,
            affiliation_type=organisation.affiliation_type, **overrides)
        rows.append(registration)

    for index, organisation in enumerate(organisations):
        kind = KINDS[index % 5]
        by_name = index % 4 == 0  # older registrations: matched by the name written in the form (French here)
        if kind == "pending":
            add(organisation, by_name=by_name, status="pending")
        elif kind == "confirmed":
            add(organisation, by_name=by_name, status="confirmed")
            add(organisation, status="cancelled")
        elif kind == "attended":
            add(organisation, status="waitlisted")
            add(organisation, by_name=by_name, status="confirmed", attended=True, attended_minutes=80)
        elif kind == "left":
            add(organisation, status="cancelled")
            add(organisation, status="declined")
        if kind == "none" and index % 10 == 0:
            # Cancelled at the last minute, then joined anyway: attended, not registered.
            add(organisation, status="cancelled", attended=True, attended_minutes=30)
    # Registrations that reach no active directory entry, and another event's.
    add(SimpleNamespace(id=None, name="Parlement inconnu", translations={"fr": "Parlement inconnu"},
                        affiliation_type="member_parliament"), status="confirmed")
    db.session.add_all(rows)
    for organisation in organisations[:30]:
        registration, _ = factories.build_registration(other, organisation_id=organisation.id,
                                                       organisation=organisation.name)
        db.session.add(registration)
    db.session.commit()
    return SimpleNamespace(event=event, other=other, organisations=organisations, expected=expected(organisations))


def expected(organisations) -> SimpleNamespace:
    """Counts worked out from KINDS, overall and per region and affiliation."""
    def reached(index: int) -> dict[str, bool]:
        kind = KINDS[index % 5]
        return {"registered": kind in ("pending", "confirmed", "attended"),
                "confirmed": kind in ("confirmed", "attended"),
                "attended": kind == "attended" or (kind == "none" and index % 10 == 0)}

    overall, regions, affiliations = Counter(), {}, {}
    for index, organisation in enumerate(organisations):
        flags = reached(index)
        for target in (overall, regions.setdefault(organisation.region, Counter()),
                       affiliations.setdefault(organisation.affiliation_type, Counter())):
            target["entries"] += 1
            for key, value in flags.items():
                target[key] += value
    return SimpleNamespace(overall=overall, regions=regions, affiliations=affiliations,
                           flags={o.id: reached(i) for i, o in enumerate(organisations)})
