"""Registrations outside an event's stated audience: the reasons shown in the organiser's language,
and the "needs review" filter."""

from __future__ import annotations

import re


def test_the_list_filters_registrations_that_need_review_and_the_detail_says_why(signed_in, make_event,
                                                                                 make_registration):
    event = make_event(eligible_roles=["mp"], directory_only=True)
    outside, _ = make_registration(event, status="pending", last_name="Ñúñez-Öztürk", role="other",
                                   review_reasons=["role", "organisation_unknown"])
    make_registration(event, status="pending", last_name="Pending-Only", email="p@parl.example", review_reasons=[])
    make_registration(event, status="confirmed", last_name="Approved-Earlier", email="a@parl.example",
                      review_reasons=["role"])
    for n in range(30):
        make_registration(event, email=f"mp{n}@parl.example", last_name=f"Member{n}")
    client, _ = signed_in("viewer")
    html = client.get(f"/admin/events/{event.slug}/registrations?review=yes").get_data(as_text=True)
    assert re.findall(r'registrations/\d+">([^,<]+),', html) == ["Ñúñez-Öztürk"]
    assert "a role the event is not open to" in html

    client.set_cookie("lang", "fr")
    html = client.get(f"/admin/events/{event.slug}/registrations/{outside.id}").get_data(as_text=True)
    assert "En attente de votre examen" in html
    assert "Une fonction à laquelle l’événement n’est pas ouvert" in html
    assert "Une organisation qui ne figure pas dans l’annuaire" in html
    assert client.get(f"/admin/events/{event.slug}/registrations?review=maybe").status_code == 400
