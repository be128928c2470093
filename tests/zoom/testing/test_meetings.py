"""Meeting and webinar objects: the registration and interpretation settings the app reads and fixes."""

from __future__ import annotations

from tests.zoom.testing.conftest import MEETING_ID, WEBINAR_ID

INTERPRETERS = [{"email": "interprete.fr@ipu.example", "languages": "US,FR"},
                {"email": "interprete.es@ipu.example", "interpreter_languages": "English,Spanish"}]


def settings(api, kind="meetings", meeting_id=MEETING_ID) -> dict:
    response = api.get(f"/{kind}/{meeting_id}")
    assert response.status_code == 200
    return response.json()["settings"]


def test_get_meeting_returns_registration_settings(api, sim):
    """"Get a meeting": settings.approval_type (0 auto, 1 manual, 2 no registration), registration_type,
    registrants_confirmation_email, registrants_email_notification, language_interpretation; `type`."""
    body = api.get(f"/meetings/{MEETING_ID}").json()
    assert body["id"] == int(MEETING_ID) and body["type"] == 2 and body["topic"] == "Solidarité parlementaire"
    assert {k: body["settings"][k] for k in ("approval_type", "registration_type", "registrants_confirmation_email",
                                             "registrants_email_notification")} == {
        "approval_type": 0, "registration_type": 1, "registrants_confirmation_email": True,
        "registrants_email_notification": True}
    assert api.get(f"/webinars/{WEBINAR_ID}").json()["type"] == 5


def test_patch_sets_approval_and_turns_zoom_emails_off(api, sim):
    """"Update a meeting" (PATCH, 204) changes settings; a GET reads them back."""
    response = api.patch(f"/meetings/{MEETING_ID}", {"settings": {
        "approval_type": 1, "registrants_confirmation_email": False, "registrants_email_notification": False}})
    assert response.status_code == 204
    got = settings(api)
    assert (got["approval_type"], got["registrants_confirmation_email"], got["registrants_email_notification"]) == (
        1, False, False)
    assert sim.meetings[MEETING_ID].approval == "manual"


def test_registration_cannot_be_required_on_a_recurring_meeting_without_fixed_time(api, sim):
    """Type 3 (recurring, no fixed time) has no registration: the PATCH answers 204 and approval_type stays 2;
    type 8 (recurring, fixed time) takes it, with registration_type (1, 2 or 3)."""
    sim.add_meeting("83000000003", type=3, approval="none")
    assert api.patch("/meetings/83000000003", {"settings": {"approval_type": 0}}).status_code == 204
    assert settings(api, meeting_id="83000000003")["approval_type"] == 2
    sim.add_meeting("88000000008", type=8, approval="none")
    api.patch("/meetings/88000000008", {"settings": {"approval_type": 0, "registration_type": 2}})
    assert (settings(api, meeting_id="88000000008")["approval_type"],
            settings(api, meeting_id="88000000008")["registration_type"]) == (0, 2)
    bad = api.patch("/meetings/88000000008", {"settings": {"registration_type": 4}})
    assert bad.status_code == 400 and bad.json()["code"] == 300


def test_language_interpretation_takes_two_system_languages_per_interpreter(api, sim):
    """settings.language_interpretation {enable, interpreters: [{email, languages}]}: `languages` holds two
    country IDs of Zoom's system languages, e.g. "US,FR" ("Update a meeting"; https://devforum.zoom.us/t/56395
    "GB" refused); the newer `interpreter_languages` names them ("English,Spanish"). Both are read back."""
    response = api.patch(f"/meetings/{MEETING_ID}", {"settings": {
        "language_interpretation": {"enable": True, "interpreters": INTERPRETERS}}})
    assert response.status_code == 204
    got = settings(api)["language_interpretation"]
    assert got == {"enable": True, "interpreters": [
        {"email": "interprete.fr@ipu.example", "languages": "US,FR", "interpreter_languages": "English,French"},
        {"email": "interprete.es@ipu.example", "languages": "US,ES", "interpreter_languages": "English,Spanish"}]}
    for languages in ("GB,FR", "US", "US,FR,ES", "en,fr", "US,US"):
        refused = api.patch(f"/meetings/{MEETING_ID}", {"settings": {"language_interpretation": {
            "enable": True, "interpreters": [{"email": "i@ipu.example", "languages": languages}]}}})
        assert refused.status_code == 400, languages
    assert settings(api)["language_interpretation"] == got  # nothing changed by the refused calls


def test_interpretation_is_silently_ignored_when_the_account_lacks_it(api, sim):
    """"If this feature is not enabled on the host's account, this setting will not be applied" (no error)."""
    sim.interpretation_on_account = False
    assert api.patch(f"/meetings/{MEETING_ID}", {"settings": {
        "language_interpretation": {"enable": True, "interpreters": INTERPRETERS}}}).status_code == 204
    assert settings(api)["language_interpretation"] == {"enable": False, "interpreters": []}


def test_registration_questions_are_read_and_replaced(api, sim):
    """"List registration questions" / "Update registration questions": `questions` [{field_name, required}]
    from Zoom's field list, `custom_questions` [{title, type short|single, required, answers}]."""
    body = {"questions": [{"field_name": "org", "required": True}, {"field_name": "country", "required": True}],
            "custom_questions": [{"title": "Rôle", "type": "single", "required": True,
                                  "answers": ["Parlementaire", "Personnel", "Autre"]},
                                 {"title": "Affiliation type", "type": "short", "required": False}]}
    assert api.patch(f"/meetings/{MEETING_ID}/registrants/questions", body).status_code == 204
    assert api.get(f"/meetings/{MEETING_ID}/registrants/questions").json() == body
    for bad in ({"questions": [{"field_name": "first_name", "required": True}]},
                {"custom_questions": [{"title": "Rôle", "type": "multiple", "answers": ["a", "b"]}]},
                {"custom_questions": [{"title": "Free text", "type": "short", "answers": ["a"]}]},
                {"custom_questions": [{"title": "Choice", "type": "single", "answers": []}]}):
        assert api.patch(f"/meetings/{MEETING_ID}/registrants/questions", bad).status_code == 400, bad
    assert api.get(f"/meetings/{MEETING_ID}/registrants/questions").json() == body


def test_create_meeting_for_a_user(api, sim):
    """"Create a meeting" (POST /users/{userId}/meetings, 201) with registration and interpretation settings."""
    created = api.post("/users/me/meetings", {
        "topic": "Panel", "type": 2, "start_time": "2030-05-01T13:00:00Z", "duration": 90,
        "settings": {"approval_type": 1, "registrants_confirmation_email": False,
                     "language_interpretation": {"enable": True, "interpreters": INTERPRETERS[:1]}}})
    assert created.status_code == 201
    body = created.json()
    assert body["settings"]["approval_type"] == 1 and body["start_time"] == "2030-05-01T13:00:00Z"
    assert str(body["id"]) in sim.meetings
    assert api.post("/users/me/meetings", {"topic": "x", "type": 7}).status_code == 400
