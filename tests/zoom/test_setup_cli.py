"""`flask zoom setup --event S [--fix] [--push-interpreters]`: findings printed, exit 0 only when nothing is wrong."""

from __future__ import annotations

import pytest

from tests.zoom.setup_helpers import linked_event, well_set_up


@pytest.fixture
def link(make_event, make_registration, sim, zoom_config):
    def make(**kwargs):
        return linked_event(make_event, make_registration, sim, **kwargs)

    return make


def run(app, *args):
    return app.test_cli_runner().invoke(args=["zoom", "setup", *args])


def test_check_exits_1_while_problems_remain_and_fix_brings_it_to_0(app, link, sim):
    event, meeting = link(approval="none", approval_mode="manual")
    checked = run(app, "--event", event.slug)
    assert checked.exit_code == 1, checked.output
    assert "ERROR registration_off" in checked.output and "[can be fixed with --fix]" in checked.output
    assert "Zoom has: no registration; the event needs: register, approved by an organiser" in checked.output

    fixed = run(app, "--event", event.slug, "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert "updated at Zoom: meeting, questions" in fixed.output and "0 problem(s)" in fixed.output
    assert meeting.settings["approval_type"] == 1

    again = run(app, "--event", event.slug)
    assert again.exit_code == 0 and "0 problem(s)" in again.output


def test_problems_no_fix_can_clear_keep_exit_code_1(app, link):
    event, _ = link(approval="none", zoom_type=3)
    result = run(app, "--event", event.slug, "--fix")
    assert result.exit_code == 1
    assert "recurring_no_fixed_time" in result.output


def test_push_interpreters_sends_them_and_reports(app, link, sim):
    event, meeting = link(approval="auto")
    wanted = well_set_up(event)
    meeting.settings.update({k: v for k, v in wanted["settings"].items() if k != "language_interpretation"})
    meeting.questions, meeting.custom_questions = wanted["questions"], wanted["custom_questions"]
    result = run(app, "--event", event.slug, "--push-interpreters")
    assert result.exit_code == 0, result.output
    assert "interpreters sent to Zoom" in result.output
    assert sorted(
        (i["email"], i["languages"]) for i in meeting.settings["language_interpretation"]["interpreters"]
    ) == [("francoise.lefevre@interpretes.example", "US,FR"), ("maria-jose.nunez@interpretes.example", "US,ES")]


def test_zoom_errors_exit_1_with_the_reason(app, link, sim):
    event, _ = link(approval="auto")
    sim.meetings.pop(event.zoom_meeting_id)
    result = run(app, "--event", event.slug)
    assert result.exit_code == 1
    assert "does not know the meeting or webinar" in result.output


def test_event_without_zoom_link_fails_clearly(app, make_event, zoom_config):
    event = make_event(zoom_meeting_id=None)
    result = run(app, "--event", event.slug)
    assert result.exit_code == 1 and "no Zoom meeting or webinar id" in result.output


def test_without_credentials_the_command_explains(app, make_event):
    event = make_event(zoom_meeting_id="86123456789")
    result = run(app, "--event", event.slug)
    assert result.exit_code == 1 and "Zoom sync is off" in result.output
