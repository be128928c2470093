"""The Zoom set-up page through HTTP on a populated database: organisers check, fix, enter interpreters
and push them; viewers only look; bad input and Zoom failures give clear messages, never a 500."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from panel_app.extensions import db
from panel_app.models import AuditEntry, EventInterpreter, ZoomSetupCheck
from tests.admin.conftest import csrf_from
from tests.zoom import conftest as zoom_fixtures
from tests.zoom.setup_helpers import INTERPRETERS, SETUP_MEETING_ID, linked_event

# The Zoom simulator and the app pointed at it, as the Zoom tests have them.
sim = zoom_fixtures.sim
zoom_config = zoom_fixtures.zoom_config


@pytest.fixture
def link(make_event, make_registration, sim, zoom_config):
    def make(**kwargs):
        return linked_event(make_event, make_registration, sim, **kwargs)

    return make


def page(client, event, **params):
    response = client.get(f"/admin/events/{event.slug}/zoom", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, event, action, data=None, **kwargs):
    token = csrf_from(client, f"/admin/events/{event.slug}/zoom")
    return client.post(f"/admin/events/{event.slug}/zoom/{action}", data={"csrf_token": token, **(data or {})},
                       **kwargs)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_organiser_checks_then_fixes_the_meeting_and_the_dashboard_counts_the_problems(organiser, link, sim):
    event, meeting = link(approval="none", approval_mode="manual")
    assert "Not checked yet." in page(organiser, event)

    checked = post(organiser, event, "check", follow_redirects=True)
    body = text(checked)
    assert checked.status_code == 200 and "problem(s) found" in body
    assert "Registration is not required at Zoom" in body and "Fix these settings" in body
    problems = db.session.get(ZoomSetupCheck, event.id).problems
    dashboard = text(organiser.get(f"/admin/events/{event.slug}"))
    assert f"{problems} problem(s) found at the last check" in dashboard
    assert f'href="/admin/events/{event.slug}/zoom"' in dashboard

    fixed = text(post(organiser, event, "fix", follow_redirects=True))
    assert "Zoom was updated" in fixed and "Everything fits this event." in fixed
    assert meeting.settings["approval_type"] == 1 and meeting.settings["registrants_email_notification"] is False
    assert "No problems at the last check" in text(organiser.get(f"/admin/events/{event.slug}"))
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "zoom.setup.fix")).one()
    assert audit.event_id == event.id and "registration_off" in audit.details["fixed"]


def test_viewer_sees_the_setup_but_cannot_change_anything(signed_in, link, sim):
    event, meeting = link(approval="none")
    organiser, _ = signed_in("organiser")
    post(organiser, event, "check")
    viewer, _ = signed_in("viewer")
    body = page(viewer, event)
    assert "Registration is not required at Zoom" in html.unescape(body)
    assert "francoise.lefevre@interpretes.example" in body
    for button in ("Fix these settings", "Check now", "Add interpreter", "Push interpreters to Zoom", "Remove"):
        assert button not in body
    interpreter = db.session.scalars(sa.select(EventInterpreter)).first()
    token = csrf_from(viewer, f"/admin/events/{event.slug}/zoom")
    for path in ("check", "fix", "push-interpreters", "interpreters", f"interpreters/{interpreter.id}/delete",
                 f"interpreters/{interpreter.id}/edit", "create"):
        response = viewer.post(f"/admin/events/{event.slug}/zoom/{path}",
                               data={"csrf_token": token, "email": "x@example.org", "languages": "en-fr"})
        assert response.status_code == 403, path
    assert meeting.settings["approval_type"] == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventInterpreter)) == len(INTERPRETERS)


def test_organiser_adds_edits_and_removes_an_interpreter_and_pushes_them(organiser, link, sim):
    event, meeting = link(approval="auto", interpreters=[])
    added = post(organiser, event, "interpreters", {"email": "  Zhu.Wei@Interpretes.example ",
                                                    "name": "Zhū Wěi", "languages": "es-fr"})
    assert added.status_code == 303
    interpreter = db.session.scalars(sa.select(EventInterpreter)).one()
    assert (interpreter.email, interpreter.languages) == ("Zhu.Wei@interpretes.example", ("es", "fr"))
    assert "Spanish ↔ French" in page(organiser, event) or "French ↔ Spanish" in page(organiser, event)

    edit_url = f"/admin/events/{event.slug}/zoom/interpreters/{interpreter.id}/edit"
    assert 'value="Zhu.Wei@interpretes.example"' in organiser.get(edit_url).get_data(as_text=True)
    token = csrf_from(organiser, edit_url)
    saved = organiser.post(edit_url, data={"csrf_token": token, "email": "zhu.wei@interpretes.example",
                                           "name": "Zhū Wěi", "languages": "en-fr"})
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(EventInterpreter, interpreter.id).languages == ("en", "fr")

    pushed = text(post(organiser, event, "push-interpreters", follow_redirects=True))
    assert "The interpreters were sent to Zoom." in pushed
    assert [(i["email"], i["languages"]) for i in meeting.settings["language_interpretation"]["interpreters"]] == [
        ("zhu.wei@interpretes.example", "US,FR")]

    removed = post(organiser, event, f"interpreters/{interpreter.id}/delete")
    assert removed.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventInterpreter)) == 0
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("zoom.%"))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["zoom.interpreter.add", "zoom.interpreter.update", "zoom.interpreters.push",
                       "zoom.interpreter.remove"]


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "not-an-address", "languages": "en-fr"}, "Enter an email address like interpreter@example.org."),
    ({"email": "", "languages": "en-fr"}, "Enter the interpreter's email address."),
    ({"email": "ok@interpretes.example", "languages": "en-de"}, "Choose two languages this event offers."),
    ({"email": "ok@interpretes.example", "languages": "en-en"}, "Choose two languages this event offers."),
    ({"email": "ok@interpretes.example"}, "Choose two languages this event offers."),
    ({"email": "a" * 5000 + "@interpretes.example", "languages": "en-fr"}, "under 320 characters"),
    ({"email": "ok@interpretes.example", "name": "N" * 100_000, "languages": "en-fr"}, "under 200 characters"),
    ({"email": "ok@interpretes.example", "name": "Jean\x00Dupont", "languages": "en-fr"},
     "characters that cannot be used here"),
    ({"email": "ok\x00@interpretes.example", "languages": "en-fr"}, "Enter an email address like"),
    ({"email": "francoise.lefevre@INTERPRETES.example", "languages": "en-es"},
     "This interpreter is already entered for this event."),
])
def test_bad_interpreter_input_is_refused_with_a_clear_message(organiser, link, data, message):
    event, _ = link(approval="auto", languages=["en", "fr", "es"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(EventInterpreter))
    response = post(organiser, event, "interpreters", data)
    assert response.status_code == 422
    body = text(response)
    assert message in body and 'aria-invalid="true"' in body and "There is a problem" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventInterpreter)) == before


def test_editing_an_interpreter_into_a_duplicate_is_refused(organiser, link):
    event, _ = link(approval="auto")
    first, second = db.session.scalars(sa.select(EventInterpreter).order_by(EventInterpreter.email)).all()
    url = f"/admin/events/{event.slug}/zoom/interpreters/{first.id}/edit"
    token = csrf_from(organiser, url)
    response = organiser.post(url, data={"csrf_token": token, "email": second.email, "languages": "en-fr"})
    assert response.status_code == 422 and "already entered for this event" in text(response)


def test_interpreter_of_another_event_is_not_found(organiser, link, make_event):
    event, _ = link(approval="auto")
    other = make_event()
    interpreter = db.session.scalars(sa.select(EventInterpreter)).first()
    assert organiser.get(f"/admin/events/{other.slug}/zoom/interpreters/{interpreter.id}/edit").status_code == 404
    assert post(organiser, other, f"interpreters/{interpreter.id}/delete").status_code == 404


def test_zoom_failure_is_shown_in_the_organisers_language(organiser, link, sim):
    event, _ = link(approval="auto")
    sim.meetings.pop(SETUP_MEETING_ID)
    token = csrf_from(organiser, f"/admin/events/{event.slug}/zoom")
    response = organiser.post(f"/admin/events/{event.slug}/zoom/check", data={"csrf_token": token},
                              headers={"Accept-Language": "fr"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Zoom ne connaît pas la réunion ou le webinaire" in text(response)


def test_zoom_error_page_during_a_fix_gives_a_message_not_a_500(organiser, link, sim):
    event, meeting = link(approval="none")
    sim.respond_next(1, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
    response = post(organiser, event, "fix", follow_redirects=True)
    assert response.status_code == 200
    assert "did not answer in time, or answered with an error page" in text(response)
    assert meeting.settings["approval_type"] == 2


def test_page_without_zoom_configuration_says_so(organiser, make_event):
    event = make_event(zoom_meeting_id="86123456789")
    body = page(organiser, event)
    assert "Zoom is not configured on this server" in body and "Check now" not in body
    token = csrf_from(organiser, f"/admin/events/{event.slug}/zoom")
    response = organiser.post(f"/admin/events/{event.slug}/zoom/check", data={"csrf_token": token},
                              follow_redirects=True)
    assert response.status_code == 200 and "an administrator must set ZOOM_ACCOUNT_ID" in text(response)


def test_organiser_creates_a_webinar_for_an_unlinked_event(organiser, make_event, make_registration, sim,
                                                           zoom_config):
    event = make_event(zoom_meeting_id=None, title="Parlements et droits humains", languages=["fr", "es"])
    make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk", language="es")
    assert "Create and link" in page(organiser, event)
    response = post(organiser, event, "create", {"kind": "webinars", "host": ""}, follow_redirects=True)
    body = text(response)
    assert response.status_code == 200 and "Created at Zoom with ID" in body
    db.session.expire_all()
    webinar_id = db.session.get(type(event), event.id).zoom_webinar_id
    assert webinar_id and sim.meetings[webinar_id].kind == "webinars"
    assert f"Linked to Zoom webinar {webinar_id}." in body


def test_create_form_refuses_a_bad_host_address(organiser, make_event, zoom_config):
    event = make_event(zoom_meeting_id=None)
    response = post(organiser, event, "create", {"kind": "meetings", "host": "host\x00@zoom"})
    assert response.status_code == 422 and "Enter the host's Zoom email address" in text(response)
    response = post(organiser, event, "create", {"kind": "rooms"})
    assert response.status_code == 422 and "Not a valid choice" in text(response)


def test_unknown_event_and_forged_action_without_token(organiser, link):
    event, _ = link(approval="auto")
    assert organiser.get("/admin/events/no-such-event/zoom").status_code == 404
    assert organiser.get("/admin/events/" + "x" * 5000 + "/zoom").status_code == 404
    assert organiser.post(f"/admin/events/{event.slug}/zoom/fix").status_code == 400


def test_page_lists_the_interpreters_with_accented_names(organiser, link):
    event, _ = link(approval="auto")
    body = page(organiser, event)
    assert "María-José Ñúñez-Öztürk" in body and "Françoise Lefèvre-Ångström" in body
    assert re.search(r"English ↔ Spanish", body)
