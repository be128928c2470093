"""Meeting set-up against the Zoom simulator over HTTP: each mismatch found and fixed, a second run
idle, and every Zoom failure turned into a message an organiser can act on."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from panel_app.extensions import db
from panel_app.models import AuditEntry, ZoomSetupCheck, utcnow
from panel_app.zoom import questions as zq
from panel_app.zoom import setup, setup_text
from panel_app.zoom.errors import ZoomError, ZoomNotFound, ZoomUnavailable
from tests.zoom.setup_helpers import SETUP_MEETING_ID, SETUP_WEBINAR_ID, linked_event, patches, well_set_up


@pytest.fixture
def link(make_event, make_registration, sim, zoom_config):
    def make(**kwargs):
        return linked_event(make_event, make_registration, sim, **kwargs)

    return make


def codes(report) -> set[str]:
    return {f.code for f in report.findings}


def fix(zoom_client, event):
    return setup.fix_setup(db.session, zoom_client, event, now=utcnow(), actor="test")


def check(zoom_client, event):
    return setup.check_setup(db.session, zoom_client, event, now=utcnow())


@pytest.mark.parametrize(("approval_mode", "approval_type"), [("auto", 0), ("manual", 1)])
def test_meeting_without_registration_is_fixed_to_the_events_approval(link, zoom_client, approval_mode,
                                                                      approval_type):
    event, meeting = link(approval="none", approval_mode=approval_mode)
    report = check(zoom_client, event)
    registration = next(f for f in report.findings if f.code == "registration_off")
    assert registration.severity == "error" and registration.fixable
    assert (registration.have, registration.want) == (2, approval_type)
    assert "questions_unread" in codes(report) or "question_missing" in codes(report)

    result = fix(zoom_client, event)
    assert meeting.settings["approval_type"] == approval_type
    assert "registration_off" in result.fixed and "registration_off" not in codes(result.after)


def test_automatic_approval_on_a_manual_event_is_switched_to_manual(link, zoom_client):
    event, meeting = link(approval="auto", approval_mode="manual")
    assert any(f.code == "approval_mismatch" and (f.have, f.want) == (0, 1) for f in check(zoom_client, event).findings)
    fix(zoom_client, event)
    assert meeting.settings["approval_type"] == 1


def test_zooms_own_registrant_emails_are_turned_off(link, zoom_client):
    event, meeting = link(approval="auto")
    assert {"zoom_notification_emails", "zoom_confirmation_email"} <= codes(check(zoom_client, event))
    fix(zoom_client, event)
    assert meeting.settings["registrants_email_notification"] is False
    assert meeting.settings["registrants_confirmation_email"] is False
    assert not {"zoom_notification_emails", "zoom_confirmation_email"} & codes(check(zoom_client, event))


def test_confirmation_email_is_not_reported_when_zoom_sends_no_registrant_email_at_all(link, zoom_client):
    """"Update a meeting": registrants_email_notification must be on for the confirmation email to be used."""
    event, _ = link(approval="auto", settings={"registrants_email_notification": False,
                                               "registrants_confirmation_email": True})
    assert not {"zoom_notification_emails", "zoom_confirmation_email"} & codes(check(zoom_client, event))


#: Our questions as free-text ones: the simulator takes webinar questions of type "short" (see the xfail below).
SHORT_QUESTIONS = [{"title": title, "type": "short", "required": False}
                   for title in (zq.QUESTION_AFFILIATION, zq.QUESTION_ROLE, zq.QUESTION_LANGUAGE)]


def test_webinar_reminder_emails_are_turned_off(link, zoom_client):
    event, webinar = link(kind="webinars", approval="auto", custom_questions=SHORT_QUESTIONS, settings={
        "attendees_and_panelists_reminder_email_notification": {"enable": True, "type": 3}})
    assert "zoom_reminder_emails" in codes(check(zoom_client, event))
    fix(zoom_client, event)
    assert webinar.settings["attendees_and_panelists_reminder_email_notification"] == {"enable": False}
    assert "zoom_reminder_emails" not in codes(check(zoom_client, event))


def test_missing_questions_are_added_and_the_organisers_own_questions_are_kept(link, zoom_client):
    own = {"title": "Comment avez-vous connu ce panel ?", "type": "short", "required": True}
    event, meeting = link(approval="auto", custom_questions=[own],
                          questions=[{"field_name": "city", "required": True}])
    report = check(zoom_client, event)
    missing = sorted(f.want["title"] for f in report.findings if f.code == "question_missing")
    assert missing == sorted([zq.QUESTION_AFFILIATION, zq.QUESTION_ROLE, zq.QUESTION_LANGUAGE])
    assert sorted(f.want for f in report.findings if f.code == "field_missing") == ["country", "last_name", "org"]

    fix(zoom_client, event)
    titles = [q["title"] for q in meeting.custom_questions]
    assert titles[0] == own["title"] and set(titles[1:]) == {zq.QUESTION_AFFILIATION, zq.QUESTION_ROLE,
                                                              zq.QUESTION_LANGUAGE}
    language = next(q for q in meeting.custom_questions if q["title"] == zq.QUESTION_LANGUAGE)
    assert language["type"] == "single" and language["answers"] == ["en", "fr", "es"]
    assert {q["field_name"] for q in meeting.questions} == {"city", "last_name", "country", "org"}
    assert not {"question_missing", "field_missing"} & codes(check(zoom_client, event))


def test_webinar_questions_use_the_webinar_choice_type(link, zoom_client):
    event, webinar = link(kind="webinars", approval="auto")
    fix(zoom_client, event)
    assert {q["type"] for q in webinar.custom_questions} == {"single_radio"}


def test_choice_question_lacking_an_answer_we_send_is_completed(link, zoom_client):
    role = {"title": zq.QUESTION_ROLE, "type": "single", "required": True, "answers": ["mp", "staff"]}
    event, meeting = link(approval="auto", custom_questions=[role])
    lacking = next(f for f in check(zoom_client, event).findings if f.code == "question_answers")
    assert lacking.want == {"title": zq.QUESTION_ROLE, "answers": ["other"]}
    fix(zoom_client, event)
    fixed = next(q for q in meeting.custom_questions if q["title"] == zq.QUESTION_ROLE)
    assert fixed["answers"] == ["mp", "staff", "other"] and fixed["required"] is True


def test_free_text_question_of_the_same_title_is_accepted(link, zoom_client):
    event, _ = link(approval="auto", custom_questions=[
        {"title": title, "type": "short", "required": False} for title in
        (zq.QUESTION_AFFILIATION, zq.QUESTION_ROLE, zq.QUESTION_LANGUAGE)])
    assert not {"question_missing", "question_answers"} & codes(check(zoom_client, event))


def test_organisation_required_at_zoom_is_made_optional(link, zoom_client):
    event, meeting = link(approval="auto", questions=[{"field_name": "last_name", "required": True},
                                                     {"field_name": "country", "required": True},
                                                     {"field_name": "org", "required": True}])
    assert any(f.code == "field_required" and f.have == "org" for f in check(zoom_client, event).findings)
    fix(zoom_client, event)
    assert {q["field_name"]: q["required"] for q in meeting.questions} == {"last_name": True, "country": True,
                                                                          "org": False}


def test_interpretation_is_turned_on_with_the_events_interpreters_as_zoom_country_codes(link, zoom_client):
    event, meeting = link(approval="auto")
    report = check(zoom_client, event)
    assert {"interpretation_off", "interpreters_differ"} <= codes(report)
    fix(zoom_client, event)
    interpretation = meeting.settings["language_interpretation"]
    assert interpretation["enable"] is True
    assert sorted((i["email"], i["languages"]) for i in interpretation["interpreters"]) == [
        ("francoise.lefevre@interpretes.example", "US,FR"),
        ("maria-jose.nunez@interpretes.example", "US,ES"),
    ]
    assert not {"interpretation_off", "interpreters_differ", "language_without_interpreter"} & codes(
        check(zoom_client, event))


def test_interpreters_zoom_names_by_language_match_the_same_people(link, zoom_client):
    """Changelog 2025-03-17: Zoom also answers `interpreter_languages` ("English,French")."""
    event, _ = link(approval="auto", settings={"language_interpretation": {"enable": True, "interpreters": [
        {"email": "Francoise.Lefevre@interpretes.example", "interpreter_languages": "French,English"},
        {"email": "maria-jose.nunez@interpretes.example", "languages": "ES,US"}]}})
    assert "interpreters_differ" not in codes(check(zoom_client, event))


def test_language_without_an_interpreter_is_reported(link, zoom_client):
    event, _ = link(approval="auto", interpreters=[INTERPRETER_EN_FR])
    finding = next(f for f in check(zoom_client, event).findings if f.code == "language_without_interpreter")
    assert finding.want == ["es"] and finding.severity == "warning" and not finding.fixable


INTERPRETER_EN_FR = ("francoise.lefevre@interpretes.example", "Françoise Lefèvre-Ångström", ("en", "fr"))


def test_enabling_interpretation_keeps_zooms_interpreters_when_none_are_entered_here(link, zoom_client):
    at_zoom = [{"email": "chief@interpretes.example", "languages": "US,FR"}]
    event, meeting = link(approval="auto", interpreters=[],
                          settings={"language_interpretation": {"enable": False, "interpreters": at_zoom}})
    fix(zoom_client, event)
    interpretation = meeting.settings["language_interpretation"]
    assert interpretation["enable"] is True
    assert [(i["email"], i["languages"]) for i in interpretation["interpreters"]] == [("chief@interpretes.example",
                                                                                      "US,FR")]


def test_interpretation_zoom_does_not_apply_is_reported_as_not_applied(link, zoom_client, sim):
    """"Update a meeting", language_interpretation: "If this feature is not enabled on the host's account,
    this setting will not be applied" (and Zoom answers 204 all the same)."""
    event, meeting = link(approval="auto")
    sim.interpretation_on_account = False
    result = fix(zoom_client, event)
    assert "interpretation_off" in result.not_applied and "interpreters_differ" in result.not_applied
    assert "zoom_notification_emails" in result.fixed
    assert meeting.settings["language_interpretation"]["enable"] is False


def test_push_replaces_zooms_interpreters_with_the_events(link, zoom_client):
    event, meeting = link(approval="auto", settings={"language_interpretation": {
        "enable": True, "interpreters": [{"email": "ancien@interpretes.example", "languages": "US,ES"}]}})
    report = setup.push_interpreters(db.session, zoom_client, event, now=utcnow(), actor="test")
    assert {i["email"] for i in meeting.settings["language_interpretation"]["interpreters"]} == {
        "francoise.lefevre@interpretes.example", "maria-jose.nunez@interpretes.example"}
    assert "interpreters_differ" not in codes(report)
    db.session.commit()
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.event_id == event.id,
                                                                AuditEntry.action == "zoom.interpreters.push"))


def test_push_without_interpreters_is_refused_before_calling_zoom(link, zoom_client, sim):
    event, _ = link(approval="auto", interpreters=[])
    since = time.monotonic()
    with pytest.raises(setup.SetupError) as refused:
        setup.push_interpreters(db.session, zoom_client, event, now=utcnow(), actor="test")
    assert refused.value.code == "no_interpreters" and sim.api_requests(since) == []


def test_interpreter_in_a_language_the_event_dropped_is_reported_and_not_pushed(link, zoom_client, db):
    event, meeting = link(approval="auto")
    event.languages = ["en", "fr"]
    db.session.commit()
    report = check(zoom_client, event)
    outside = next(f for f in report.findings if f.code == "interpreter_outside_languages")
    assert outside.have["email"] == "maria-jose.nunez@interpretes.example" and not outside.fixable
    fix(zoom_client, event)
    assert [i["email"] for i in meeting.settings["language_interpretation"]["interpreters"]] == [
        "francoise.lefevre@interpretes.example"]


def test_recurring_meeting_is_set_to_register_once_and_noted(link, zoom_client):
    event, meeting = link(approval="auto", zoom_type=8, settings={"registration_type": 2})
    report = check(zoom_client, event)
    assert any(f.code == "recurring_registration_type" and f.fixable for f in report.findings)
    assert any(f.code == "recurring" and f.severity == "notice" for f in report.findings)
    assert "schedule_differs" not in codes(report)
    fix(zoom_client, event)
    assert meeting.settings["registration_type"] == 1


def test_recurring_meeting_without_fixed_time_is_an_error_no_fix_can_clear(link, zoom_client, sim):
    event, meeting = link(approval="none", zoom_type=3)
    report = check(zoom_client, event)
    assert any(f.code == "recurring_no_fixed_time" and not f.fixable for f in report.findings)
    assert any(f.code == "registration_off" and not f.fixable for f in report.findings)
    fix(zoom_client, event)
    assert meeting.settings["approval_type"] == 2


def test_meeting_at_another_time_is_moved_to_the_events_time(link, zoom_client):
    event, meeting = link(approval="auto")
    meeting.start_time = event.starts_at + timedelta(hours=1)
    meeting.duration = 60
    finding = next(f for f in check(zoom_client, event).findings if f.code == "schedule_differs")
    assert finding.want["duration"] == event.duration_minutes == 90
    fix(zoom_client, event)
    assert (meeting.start_time, meeting.duration) == (event.starts_at, 90)


def test_a_meeting_that_fits_is_left_alone(link, zoom_client, sim):
    event, meeting = link(approval="auto")
    wanted = well_set_up(event)
    meeting.settings.update(wanted["settings"])
    meeting.questions, meeting.custom_questions = wanted["questions"], wanted["custom_questions"]
    since = time.monotonic()
    result = fix(zoom_client, event)
    assert result.after.findings == [] and result.updated == [] and patches(sim, since) == []


def test_fix_sends_one_update_per_resource_and_a_second_run_sends_nothing(link, zoom_client, sim):
    event, meeting = link(approval="none", approval_mode="manual")
    since = time.monotonic()
    first = fix(zoom_client, event)
    assert patches(sim, since) == [f"/v2/meetings/{SETUP_MEETING_ID}",
                                   f"/v2/meetings/{SETUP_MEETING_ID}/registrants/questions"]
    assert first.after.problems == [] and first.not_applied == []
    assert set(first.fixed) >= {"registration_off", "zoom_notification_emails", "interpretation_off",
                                "question_missing", "field_missing"}

    since = time.monotonic()
    second = fix(zoom_client, event)
    assert second.updated == [] and second.fixed == [] and patches(sim, since) == []
    assert second.after.findings == []
    db.session.commit()
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action == "zoom.setup.fix")).all()
    assert actions == ["zoom.setup.fix"]  # the idle second run changed nothing and logged nothing


def test_webinar_is_fixed_through_the_webinar_endpoints(link, zoom_client, sim):
    event, webinar = link(kind="webinars", approval="none", custom_questions=SHORT_QUESTIONS)
    since = time.monotonic()
    fix(zoom_client, event)
    assert patches(sim, since) == [f"/v2/webinars/{SETUP_WEBINAR_ID}",
                                   f"/v2/webinars/{SETUP_WEBINAR_ID}/registrants/questions"]
    assert webinar.settings["approval_type"] == 0


def test_registrants_reach_zoom_with_their_answers_once_the_meeting_is_fixed(link, zoom_client, sim, db):
    """The reason for the set-up: Zoom refuses answers to questions its form lacks (simulator, after
    "Add a meeting registrant"), and a single-choice question only takes its own answers."""
    from panel_app.models import Registration
    from panel_app.zoom import sync

    event, meeting = link(approval="auto")
    registration = db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id,
                                                                    Registration.language == "es")).one()
    with pytest.raises(ZoomError):
        zoom_client.add_registrant("meetings", SETUP_MEETING_ID, sync.registrant_body(registration))
    fix(zoom_client, event)
    added = zoom_client.add_registrant("meetings", SETUP_MEETING_ID, sync.registrant_body(registration))
    stored = next(r for r in sim.registrants(SETUP_MEETING_ID) if r.id == added["registrant_id"])
    assert {a["title"]: a["value"] for a in stored.fields["custom_questions"]} == {
        zq.QUESTION_AFFILIATION: "member_parliament", zq.QUESTION_ROLE: "mp", zq.QUESTION_LANGUAGE: "es"}


def test_each_check_replaces_the_stored_one_with_its_problem_count(link, zoom_client):
    event, _ = link(approval="none")
    first = check(zoom_client, event)
    db.session.commit()
    stored = db.session.get(ZoomSetupCheck, event.id)
    assert stored.problems == len(first.problems) > 0 and stored.zoom_id == SETUP_MEETING_ID
    fix(zoom_client, event)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalars(sa.select(ZoomSetupCheck).where(ZoomSetupCheck.event_id == event.id)).all()
    assert [s.problems for s in stored] == [0]
    assert setup.last_check(db.session, event) is stored[0]
    event.zoom_meeting_id = "87000000000"  # linked elsewhere: the old check no longer speaks for it
    assert setup.last_check(db.session, event) is None


def test_creating_a_meeting_sets_it_up_and_links_it(make_event, make_registration, zoom_client, sim):
    event = make_event(title="Solidarité parlementaire : soutenir les députés menacés", approval_mode="manual",
                       languages=["en", "fr", "es"], zoom_meeting_id=None)
    make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk", language="es")
    result = setup.create_zoom_meeting(db.session, zoom_client, event, kind="meetings", now=utcnow(), actor="test")
    db.session.commit()
    assert result.error is None and event.zoom_meeting_id == result.zoom_id
    meeting = sim.meetings[result.zoom_id]
    assert meeting.settings["approval_type"] == 1 and meeting.settings["registrants_email_notification"] is False
    assert {q["title"] for q in meeting.custom_questions} >= {zq.QUESTION_AFFILIATION, zq.QUESTION_ROLE,
                                                               zq.QUESTION_LANGUAGE}
    assert meeting.start_time == event.starts_at and meeting.duration == 90
    # Only what needs people is left: nobody has entered interpreters yet.
    assert {f.code for f in result.report.problems} == {"no_interpreters"}


def test_creating_for_an_event_already_linked_is_refused(link, zoom_client):
    event, _ = link(approval="auto")
    with pytest.raises(setup.SetupError) as refused:
        setup.create_zoom_meeting(db.session, zoom_client, event, kind="meetings", now=utcnow(), actor="test")
    assert refused.value.code == "already_linked"


# -- Zoom failures become messages ---------------------------------------------------------------

def _message(exc, locale="en"):
    with force_locale(locale):
        return setup_text.error_message(exc, zoom_id=SETUP_MEETING_ID)


def test_unknown_meeting_is_explained(zoom_event, zoom_client, app_context):
    event = zoom_event(zoom_meeting_id="89999999999")
    with pytest.raises(ZoomNotFound) as failure:
        check(zoom_client, event)
    assert "does not know the meeting or webinar" in _message(failure.value)
    assert "ne connaît pas la réunion" in _message(failure.value, "fr")
    assert "no conoce la reunión" in _message(failure.value, "es")


def test_proxy_html_page_is_not_read_as_a_meeting_without_settings(link, zoom_client, sim):
    event, meeting = link(approval="auto")
    # More pages than the client's retries: the answer is never taken for a meeting without settings.
    sim.respond_next(zoom_client.settings.max_retries + 1, 200, "<html><body>Proxy login required</body></html>",
                     target=f"/v2/meetings/{SETUP_MEETING_ID}")
    with pytest.raises(ZoomUnavailable) as failure:
        fix(zoom_client, event)
    assert "error page" in _message(failure.value)
    assert meeting.settings["registrants_email_notification"] is True  # nothing was changed on a guess


def test_a_passing_proxy_page_is_retried_and_the_real_meeting_is_read(link, zoom_client, sim):
    event, meeting = link(approval="auto")
    sim.respond_next(1, 200, "<html><body>Proxy login required</body></html>",
                     target=f"/v2/meetings/{SETUP_MEETING_ID}")
    result = fix(zoom_client, event)
    assert result.after.problems == []
    assert meeting.settings["registrants_email_notification"] is False


@pytest.mark.parametrize(("fault", "expected"), [
    ("down", "did not answer in time"),
    ("html502", "did not answer in time"),
    ("429", "too many requests"),
    ("timeout", "did not answer in time"),
])
def test_zoom_failures_during_a_console_check_become_clear_messages(link, zoom_config, sim, db, fault, expected):
    from panel_app.zoom.client import build_client

    event, _ = link(approval="auto")
    client = build_client(zoom_config, db.engine).interactive(read_timeout=0.3)
    if fault == "down":
        sim.set_down(True)
    elif fault == "html502":
        sim.respond_next(1, 502, "<html><h1>502 Bad Gateway</h1></html>")
    elif fault == "429":
        sim.respond_next(2, 429, '{"code": 429, "message": "Too many requests."}', "application/json")
    else:
        sim.delay_next(1, 1.0)
    started = time.monotonic()
    with pytest.raises(ZoomError) as failure:
        check(client, event)
    assert time.monotonic() - started < 3, "a page must not wait through the worker's retry policy"
    assert expected in _message(failure.value)


def test_refused_credentials_are_explained(link, zoom_config, db, monkeypatch):
    from panel_app.zoom.client import build_client

    event, _ = link(approval="auto")
    monkeypatch.setitem(zoom_config, "ZOOM_CLIENT_SECRET", "wrong-secret")
    with pytest.raises(ZoomError) as failure:
        check(build_client(zoom_config, db.engine).interactive(), event)
    assert "refused this server's credentials" in _message(failure.value)


def test_event_without_zoom_link_is_refused(make_event, zoom_client):
    event = make_event(zoom_meeting_id=None)
    with pytest.raises(setup.SetupError) as refused:
        check(zoom_client, event)
    assert refused.value.code == "not_linked"
