"""Bad input anywhere in the console: a clear answer (4xx, the form again with its message), never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token_from
from tests.factories import registration_form_data

NASTY = ["\x00", "a\x00b", "x" * 100_000, "\u202eevil", "’“”", "=cmd|' /C calc'!A0", "   ", "<script>alert(1)</script>"]


def _forms(populated) -> list[tuple[str, dict]]:
    up, past = populated.upcoming.slug, populated.past.slug
    person, walk_in = populated.people[0], populated.walk_ins[0]
    person_fields = {k: v for k, v in registration_form_data().items() if k != "consent"}
    event_fields = {"slug": "x", "title": "t", "timezone": "Europe/Zurich", "start": "2030-01-01 10:00",
                    "end": "2030-01-01 11:00", "languages": "en", "approval_mode": "auto"}
    return [
        ("/admin/events/new", event_fields),
        (f"/admin/events/{up}/edit", event_fields),
        (f"/admin/events/{up}/registrations/new", {**person_fields, "placement": "usual"}),
        (f"/admin/events/{up}/registrations/{person.id}/edit", person_fields),
        (f"/admin/events/{up}/messages", {"subject": "s", "body": "b", "submission_key": "k" * 20}),
        (f"/admin/events/{up}/registrations/bulk", {"action": "approve", "ids": "1"}),
        (f"/admin/events/{up}/registrations/{person.id}/action", {"action": "approve"}),
        (f"/admin/events/{past}/attendance/walk-ins/{walk_in.id}/match", {"registration_id": "1"}),
        ("/admin/privacy/export", {"email": "a@b.example"}),
    ]


@pytest.mark.parametrize("value", NASTY, ids=["nul", "inner-nul", "100kB", "bidi", "quotes", "formula", "blank",
                                              "markup"])
def test_console_forms_answer_odd_values_without_a_server_error(signed_in, populated, value):
    client, _ = signed_in("admin")
    token = csrf_token_from(client.get("/admin/events").get_data(as_text=True))
    for url, fields in _forms(populated):
        for name in fields:
            data = {**fields, name: value, "csrf_token": token}
            response = client.post(url, data=data)
            response.get_data()
            assert response.status_code < 500, (url, name)


def test_console_query_strings_answer_odd_values_without_a_server_error(signed_in, populated):
    client, _ = signed_in("admin")
    up, past = populated.upcoming.slug, populated.past.slug
    pages = [f"/admin/events/{up}/registrations", f"/admin/events/{up}/messages",
             f"/admin/events/{up}/registrations.csv", "/admin/audit",
             f"/admin/events/{past}/attendance/walk-ins/{populated.walk_ins[0].id}"]
    for url in pages:
        for name in ("q", "country", "status", "page", "action", "sort", "per_page"):
            for value in ("\x00", "%", "x" * 5000, "-1", "１２"):
                response = client.get(url, query_string={name: value})
                response.get_data()
                assert response.status_code < 500, (url, name, value)


def test_invalid_utf8_in_a_console_form_is_refused_cleanly(signed_in, populated):
    client, _ = signed_in("admin")
    url = f"/admin/events/{populated.upcoming.slug}/registrations/{populated.people[0].id}/edit"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    body = f"csrf_token={token}&first_name=%ED%A0%80&last_name=%FF%FE".encode()
    response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500
