"""Coverage of a directory of 240 parliaments: who is represented, at which stage, by region and
affiliation; the console list's filters; registration links made only when asked."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel_app.directory import coverage
from panel_app.models import EventInvitation
from tests.directory.coverage_world import build_world


@pytest.fixture
def world(db, make_event):
    return build_world(db, make_event)


def test_counts_overall_by_region_and_by_affiliation_follow_each_parliaments_registrations(db, world):
    rows = coverage.coverage(db.session, world.event)
    summary = coverage.summary(rows)
    want = world.expected
    assert summary.overall.entries == 240 == want.overall["entries"]  # the two inactive entries are left out
    assert (summary.overall.registered, summary.overall.confirmed, summary.overall.attended) == (
        want.overall["registered"], want.overall["confirmed"], want.overall["attended"]) == (144, 96, 72)
    by_region = {c.key: (c.entries, c.registered, c.confirmed, c.attended) for c in summary.by_region}
    assert by_region == {region: (c["entries"], c["registered"], c["confirmed"], c["attended"])
                         for region, c in want.regions.items()}
    assert summary.by_region[-1].key == ""  # entries without a region come last
    by_affiliation = {c.key: (c.entries, c.registered, c.confirmed, c.attended) for c in summary.by_affiliation}
    assert by_affiliation == {a: (c["entries"], c["registered"], c["confirmed"], c["attended"])
                              for a, c in want.affiliations.items()}
    assert [c.key for c in summary.by_affiliation] == ["member_parliament", "associate_member", "permanent_observer"]


def test_each_row_counts_people_and_matches_by_link_or_by_a_name_in_any_language(db, world):
    rows = {r.organisation.id: r for r in coverage.coverage(db.session, world.event)}
    for organisation_id, flags in world.expected.flags.items():
        row = rows[organisation_id]
        assert bool(row.registered) is flags["registered"], row.organisation.name
        assert bool(row.confirmed) is flags["confirmed"], row.organisation.name
        assert bool(row.attended) is flags["attended"], row.organisation.name
    attended_parliament = rows[world.organisations[3].id]  # a waiting and a confirmed who attended
    assert (attended_parliament.registered, attended_parliament.confirmed, attended_parliament.attended) == (2, 1, 1)


@pytest.mark.parametrize(("reached", "flag", "negate"), [
    ("none", "registered", True), ("registered", "registered", False), ("confirmed", "confirmed", False),
    ("attended", "attended", False)])
def test_the_reached_filter_keeps_exactly_the_parliaments_at_that_stage(db, world, reached, flag, negate):
    rows = coverage.filtered(coverage.coverage(db.session, world.event), coverage.CoverageFilters(reached=reached))
    wanted = {i for i, f in world.expected.flags.items() if f[flag] is not negate}
    assert {r.organisation.id for r in rows} == wanted


def test_region_and_affiliation_filters_combine_and_the_order_reverses(db, world):
    rows = coverage.coverage(db.session, world.event)
    chosen = coverage.filtered(rows, coverage.CoverageFilters(region="Africa", affiliation="associate_member",
                                                              dir="desc"))
    assert chosen and all(r.organisation.region == "Africa" and r.organisation.affiliation_type == "associate_member"
                          for r in chosen)
    names = [r.organisation.name for r in chosen]
    assert names == [r.organisation.name for r in rows
                     if r.organisation.region == "Africa"
                     and r.organisation.affiliation_type == "associate_member"][::-1]


def test_filters_from_the_query_string_refuse_values_that_are_not_choices(db, world):
    regions = coverage.regions(db.session)
    assert regions == sorted(regions, key=str.casefold) and "Africa" in regions and "" not in regions
    filters, bad = coverage.parse_filters({"reached": "everyone", "region": "Atlantis", "affiliation": "x",
                                           "dir": "sideways"}, known_regions=regions)
    assert bad == ["reached", "region", "affiliation", "dir"]
    assert filters == coverage.CoverageFilters()
    filters, bad = coverage.parse_filters({"reached": "none", "region": "Twelve Plus", "dir": "desc"},
                                          known_regions=regions)
    assert not bad and filters.query_args() == {"reached": "none", "region": "Twelve Plus", "dir": "desc"}


def test_reading_coverage_makes_no_links_and_making_them_gives_each_active_parliament_one(db, world):
    coverage.coverage(db.session, world.event)
    assert coverage.invitation_tokens(db.session, world.event) == {}
    assert coverage.make_invitation_links(db.session, world.event) == 240
    db.session.commit()
    tokens = coverage.invitation_tokens(db.session, world.event)
    assert set(tokens) == {o.id for o in world.organisations} and len(set(tokens.values())) == 240
    assert coverage.make_invitation_links(db.session, world.event) == 0  # again: nothing new, same tokens
    db.session.commit()
    assert coverage.invitation_tokens(db.session, world.event) == tokens
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventInvitation)) == 240
