"""Registrants of meetings and webinars, as Zoom's API reference and Zoom's own answers describe them."""

from __future__ import annotations

import pytest

from tests.zoom.testing.conftest import MEETING_ID, WEBINAR_ID, person

KINDS = [("meetings", MEETING_ID), ("webinars", WEBINAR_ID)]


def cancel(api, kind, meeting_id, registrant_id, action="cancel"):
    body = {"action": action, "registrants": [{"id": registrant_id}]}
    return api.put(f"/{kind}/{meeting_id}/registrants/status", body)


def listed(api, kind, meeting_id, status):
    response = api.get(f"/{kind}/{meeting_id}/registrants", params={"status": status, "page_size": 300})
    assert response.status_code == 200
    return response.json()["registrants"]


@pytest.mark.parametrize(("kind", "meeting_id"), KINDS)
def test_cancelled_registrant_is_listed_as_denied(api, sim, kind, meeting_id):
    """Zoom has no "cancelled" status: a cancelled registration appears under Denied/Blocked.

    Support article "Managing meeting and webinar registration" (KB0068036,
    https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0068036); "List meeting registrants"
    `status`: pending | approved | denied; https://devforum.zoom.us/t/39340 ("cancel is indistinguishable from
    deny").
    """
    added = api.post(f"/{kind}/{meeting_id}/registrants", person()).json()
    assert cancel(api, kind, meeting_id, added["registrant_id"]).status_code == 204
    assert [r["id"] for r in listed(api, kind, meeting_id, "denied")] == [added["registrant_id"]]
    assert listed(api, kind, meeting_id, "approved") == []
    assert api.get(f"/{kind}/{meeting_id}/registrants/{added['registrant_id']}").json()["status"] == "denied"
    assert api.get(f"/{kind}/{meeting_id}/registrants", params={"status": "cancelled"}).status_code == 400


def test_adding_a_cancelled_email_again_fails(api, sim):
    """A cancelled (denied/blocked) registrant cannot register again with that email.

    https://devforum.zoom.us/t/39340: "subsequent attempts to re-register this user using the same e-mail
    address will fail"; support article KB0068036 (Denied/Blocked). No document names the code: 400/300.
    """
    added = api.post(f"/meetings/{MEETING_ID}/registrants", person()).json()
    cancel(api, "meetings", MEETING_ID, added["registrant_id"])
    again = api.post(f"/meetings/{MEETING_ID}/registrants", person(email="MARIA.JOSE1@parlamento.example"))
    assert again.status_code == 400 and again.json()["code"] == 300
    assert "denied or blocked" in again.json()["message"]
    assert [r.status for r in sim.registrants(MEETING_ID)] == ["denied"]


def test_adding_a_denied_email_again_can_be_silent_as_reported(api, sim):
    """The community report of a blocked re-enrolment that nobody noticed (201, still denied), on request.

    (community.zoom.com, "Why are unregistered attendees moved to Denied/Blocked list?", m-p/71688)
    """
    sim.denied_readd = "silent"
    added = api.post(f"/meetings/{MEETING_ID}/registrants", person()).json()
    cancel(api, "meetings", MEETING_ID, added["registrant_id"], action="deny")
    again = api.post(f"/meetings/{MEETING_ID}/registrants", person())
    assert again.status_code == 201 and again.json()["registrant_id"] == added["registrant_id"]
    assert api.get(f"/meetings/{MEETING_ID}/registrants/{added['registrant_id']}").json()["status"] == "denied"


def test_pending_registrant_gets_a_join_url_and_status_tells_approval(api, sim):
    """With manual approval the add answer still carries the registrant's join_url; only `status` tells.

    "Add a meeting registrant" response schema (join_url unconditional); "Get a meeting registrant" `status`.
    The documents are silent on join_url for pending registrants: the stricter case is served.
    """
    sim.meetings[MEETING_ID].approval = "manual"
    added = api.post(f"/meetings/{MEETING_ID}/registrants", person())
    assert added.status_code == 201 and added.json()["join_url"].startswith(sim.root_url)
    got = api.get(f"/meetings/{MEETING_ID}/registrants/{added.json()['registrant_id']}").json()
    assert got["status"] == "pending" and got["join_url"] == added.json()["join_url"]


def test_auto_approve_approves_at_a_manual_meeting(api, sim):
    """`auto_approve: true` approves one registrant of an approval_type 1 meeting ("Add a meeting registrant")."""
    sim.meetings[MEETING_ID].approval = "manual"
    added = api.post(f"/meetings/{MEETING_ID}/registrants", person(auto_approve=True)).json()
    assert sim.registrants(MEETING_ID)[0].status == "approved" and added["registrant_id"]


def test_adding_a_registered_email_again_returns_the_same_registrant(api, sim):
    """Adding an approved or pending email again returns the existing registrant, unchanged.

    https://devforum.zoom.us/t/57798: "it just returns the existing registrant if there already is one".
    """
    first = api.post(f"/meetings/{MEETING_ID}/registrants", person()).json()
    second = api.post(f"/meetings/{MEETING_ID}/registrants", person(first_name="Other")).json()
    assert (second["registrant_id"], second["join_url"]) == (first["registrant_id"], first["join_url"])
    assert [r.first_name for r in sim.registrants(MEETING_ID)] == ["María-José"]


@pytest.mark.parametrize(("kind", "meeting_id"), KINDS)
def test_deleting_a_registrant_removes_the_person(api, sim, kind, meeting_id):
    """"Delete a meeting registrant" / "Delete a webinar registrant" answer 204 and Zoom no longer holds them;
    the email may register again."""
    added = api.post(f"/{kind}/{meeting_id}/registrants", person()).json()
    assert api.delete(f"/{kind}/{meeting_id}/registrants/{added['registrant_id']}").status_code == 204
    assert sim.registrants(meeting_id) == []
    assert api.get(f"/{kind}/{meeting_id}/registrants/{added['registrant_id']}").status_code == 404
    assert api.post(f"/{kind}/{meeting_id}/registrants", person()).json()["registrant_id"] != added["registrant_id"]


def test_deleting_an_unknown_registrant_is_a_400_code_300(api):
    """"Delete a meeting registrant" error table: 400, code 300, "The value that you entered for the Registrant
    ID field is invalid"."""
    response = api.delete(f"/meetings/{MEETING_ID}/registrants/NoSuchRegistrant0")
    assert response.status_code == 400 and response.json()["code"] == 300
    assert "Registrant ID" in response.json()["message"]


def test_unknown_meeting_is_404_code_3001(api):
    """Unknown meeting or webinar ids: 404, code 3001 "Meeting does not exist: {meetingId}." ("Get a meeting")."""
    response = api.post("/meetings/99999999999/registrants", person())
    assert response.status_code == 404 and response.json() == {
        "code": 3001, "message": "Meeting does not exist: 99999999999."}
    assert api.get(f"/meetings/{WEBINAR_ID}/registrants").json()["code"] == 3001  # a webinar is not a meeting


def test_adding_to_a_meeting_without_registration_fails(api, sim):
    """approval_type 2 (no registration): "Registration has not been enabled for this meeting: {meetingId}.",
    code 404 (error tables of "Add a webinar registrant" and "Perform batch registration")."""
    sim.meetings[MEETING_ID].approval = "none"
    response = api.post(f"/meetings/{MEETING_ID}/registrants", person())
    assert response.status_code == 404 and response.json()["code"] == 404
    assert response.json()["message"] == f"Registration has not been enabled for this meeting: {MEETING_ID}."


@pytest.mark.parametrize(("change", "field"), [
    ({"first_name": "M" * 65}, "first_name"),
    ({"last_name": "Ö" * 65}, "last_name"),
    ({"email": "x" * 120 + "@parl.example"}, "email"),
    ({"email": "not-an-email"}, "email"),
    ({"country": "Spain"}, "country"),
    ({"country": "es"}, "country"),
    ({"language": "es"}, "language"),
    ({"language": "tr-TR"}, "language"),  # Zoom spells it Tr-TR
    ({"no_of_employees": "101-250"}, "no_of_employees"),
    ({"registrant_id": "abc"}, "registrant_id"),
    ({"custom_questions": {"title": "Affiliation type", "value": "MP"}}, "custom_questions"),
    ({"custom_questions": [{"title": "Affiliation type", "value": "x" * 129}]}, "custom_questions"),
    ({"custom_questions": [{"title": "Affiliation type", "answer": "MP"}]}, "custom_questions"),
    ({"custom_questions": [{"title": "Interpretation language", "value": "de"}]}, "custom_questions"),
    ({"auto_approve": "yes"}, "auto_approve"),
])
def test_add_body_is_validated_per_the_api_reference(api, sim, change, field):
    """"Add a meeting registrant" request body: first/last name at most 64 characters, email 128, country a
    two-letter code, language one of Zoom's list (en-US ... Tr-TR), enums for no_of_employees, custom question
    values at most 128 characters. Refused as Zoom refuses: 400 code 300 "Validation Failed." naming the field.
    Unknown fields are refused too (documents silent; stricter)."""
    response = api.post(f"/meetings/{MEETING_ID}/registrants", {**person(), **change})
    assert response.status_code == 400 and response.json()["code"] == 300
    assert response.json()["errors"] == [{"field": field, "message": "Invalid field."}]
    assert sim.registrants(MEETING_ID) == []


def test_unknown_custom_question_titles_are_refused(api, sim):
    """Answers to questions the meeting does not ask are refused (documents silent: the stricter reading);
    `unknown_custom_questions = "ignore"` drops them instead."""
    body = person(custom_questions=[{"title": "Interpretation language", "value": "fr"},
                                    {"title": "Shoe size", "value": "42"}])
    assert api.post(f"/meetings/{MEETING_ID}/registrants", body).status_code == 400
    sim.unknown_custom_questions = "ignore"
    assert api.post(f"/meetings/{MEETING_ID}/registrants", body).status_code == 201
    assert sim.registrants(MEETING_ID)[0].fields["custom_questions"] == [
        {"title": "Interpretation language", "value": "fr"}]


def test_required_questions_must_be_answered(api, sim):
    """A custom question or standard field the meeting marks `required` ("List registration questions") must be
    answered."""
    missing = person(custom_questions=[{"title": "Affiliation type", "value": "Parliament"}])
    assert api.post(f"/meetings/{MEETING_ID}/registrants", missing).json()["errors"][0]["field"] == "custom_questions"
    sim.meetings[MEETING_ID].questions = [{"field_name": "city", "required": True}]
    assert api.post(f"/meetings/{MEETING_ID}/registrants", person()).json()["errors"][0]["field"] == "city"
    assert api.post(f"/meetings/{MEETING_ID}/registrants", person(city="Genève")).status_code == 201


def test_status_update_approves_denies_and_takes_at_most_30(api, sim):
    """"Update registrant's status": action approve | deny | cancel, at most 30 registrants, 204."""
    sim.meetings[MEETING_ID].approval = "manual"
    ids = [api.post(f"/meetings/{MEETING_ID}/registrants", person(n)).json()["registrant_id"] for n in range(3)]
    response = api.put(f"/meetings/{MEETING_ID}/registrants/status",
                       {"action": "approve", "registrants": [{"id": ids[0]}, {"email": person(1)["email"].upper()}]})
    assert response.status_code == 204
    assert {r.id: r.status for r in sim.registrants(MEETING_ID)} == {ids[0]: "approved", ids[1]: "approved",
                                                                    ids[2]: "pending"}
    too_many = [{"id": ids[0]}] * 31
    assert api.put(f"/meetings/{MEETING_ID}/registrants/status",
                   {"action": "approve", "registrants": too_many}).status_code == 400
    assert api.put(f"/meetings/{MEETING_ID}/registrants/status",
                   {"action": "cancelled", "registrants": [{"id": ids[0]}]}).status_code == 400
    assert sim.status_updates == [(MEETING_ID, "approve", [ids[0], ids[1]])]


def test_status_update_for_an_unknown_registrant_changes_nothing_and_still_answers_204(api, sim):
    """No document gives an answer for unknown registrants: they are skipped and the call answers 204, so a
    client must read the registrant back rather than trust the 204."""
    response = api.put(f"/meetings/{MEETING_ID}/registrants/status",
                       {"action": "cancel", "registrants": [{"id": "Gone0000000000000000"}]})
    assert response.status_code == 204 and sim.registrants(MEETING_ID) == []


def test_registrant_list_pages_with_opaque_tokens(api, sim):
    """"List meeting registrants": `page_size` at most 300 (default 30), `next_page_token` (15 minutes,
    bound to its query); a forged token is 400 code 300 "The next page token is invalid or expired."."""
    sim.page_size_cap = 2
    for n in range(5):
        api.post(f"/meetings/{MEETING_ID}/registrants", person(n))
    seen, token, pages = [], "", 0
    while True:
        page = api.get(f"/meetings/{MEETING_ID}/registrants", params={"next_page_token": token} if token else {})
        body = page.json()
        seen += [r["email"] for r in body["registrants"]]
        pages += 1
        token = body["next_page_token"]
        if not token:
            break
    assert pages == 3 and len(set(seen)) == 5 and body["total_records"] == 5
    forged = api.get(f"/meetings/{MEETING_ID}/registrants", params={"next_page_token": "forged"})
    assert forged.status_code == 400 and forged.json()["message"] == "The next page token is invalid or expired."


def test_page_tokens_expire_after_15_minutes(api, sim):
    """"This token's expiration period is 15 minutes" (`next_page_token`, every paginated endpoint)."""
    sim.page_size_cap = 1
    for n in range(2):
        api.post(f"/meetings/{MEETING_ID}/registrants", person(n))
    token = api.get(f"/meetings/{MEETING_ID}/registrants").json()["next_page_token"]
    sim.advance(15 * 60 + 1)
    assert api.get(f"/meetings/{MEETING_ID}/registrants", params={"next_page_token": token}).status_code == 400


def test_registrant_who_cancels_from_zoom_email_is_removed_and_may_register_again(api, sim):
    """A registrant cancelling through Zoom's own link is removed entirely (Zoom staff thread
    https://devforum.zoom.us/t/34478), unlike a host's cancel."""
    added = api.post(f"/meetings/{MEETING_ID}/registrants", person()).json()
    sim.registrant_cancels(MEETING_ID, added["registrant_id"])
    assert sim.registrants(MEETING_ID) == []
    assert api.post(f"/meetings/{MEETING_ID}/registrants", person()).status_code == 201


def test_registrant_objects_do_not_return_language(api, sim):
    """`language` is accepted by "Add a meeting registrant" but "List/Get a meeting registrant" and the
    registration_created payload do not list it: a client must carry the language in a custom question."""
    rid = api.post(f"/meetings/{MEETING_ID}/registrants", person()).json()["registrant_id"]
    got = api.get(f"/meetings/{MEETING_ID}/registrants/{rid}").json()
    assert "language" not in got and got["custom_questions"] == [{"title": "Interpretation language", "value": "es"}]
    assert "language" not in listed(api, "meetings", MEETING_ID, "approved")[0]
