"""The registration form and the directory: names recognised in any language, a parliament's own
link that pre-fills the form, closed audiences that go to approval, invitation-only events."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from panel_app.directory.links import invitation_for
from panel_app.models import Registration
from tests.factories import registration_form_data


def _registrations(db):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Registration).order_by(Registration.id)))


def _register(client, submit_form, event, query="", **fields):
    return submit_form(client, f"/events/{event.slug}/register{query}", registration_form_data(**fields))


@pytest.mark.parametrize("typed", ["Parlement – Sénégal", "  parlement –   SÉNÉGAL ", "Parlamento – Senegal",
                                   "Parliament of Senegal"])
def test_an_organisation_typed_in_any_of_its_languages_is_linked_to_the_directory(
        client, db, submit_form, make_event, directory, typed):
    event = make_event()
    assert _register(client, submit_form, event, organisation=typed).status_code == 303
    [registration] = _registrations(db)
    assert registration.organisation_id == directory["Parliament of Senegal"].id
    assert registration.organisation == typed.strip()  # kept as typed
    assert registration.status == "confirmed" and registration.review_reasons == []


def test_an_organisation_outside_the_directory_is_kept_as_typed_without_a_link(
        client, db, submit_form, make_event, directory):
    event = make_event()
    _register(client, submit_form, event, organisation="Parlamento del Mercosur – Secretaría")
    [registration] = _registrations(db)
    assert registration.organisation_id is None and registration.organisation.startswith("Parlamento del Mercosur")


@pytest.mark.parametrize(("lang", "name"), [("en", "Parliament of France"), ("fr", "Parlement – France"),
                                            ("es", "Parlamento – Francia")])
def test_a_parliaments_link_prefills_its_name_in_the_form_language_affiliation_and_country(
        client, db, make_event, directory, lang, name):
    event = make_event()
    invitation = invitation_for(db.session, event, directory["Parliament of France"])
    db.session.commit()
    html = client.get(f"/events/{event.slug}/register?invitation={invitation.token}&lang={lang}").get_data(
        as_text=True)
    assert re.search(rf'name="organisation" type="text" value="{re.escape(name)}"', html)
    assert re.search(r'<option selected value="FR">|<option value="FR" selected>', html)
    assert re.search(r'checked[^>]*value="member_parliament"|value="member_parliament"[^>]*checked', html)
    assert f'name="invitation" value="{invitation.token}"' in html
    assert name in html.split("<form")[0]  # "You are registering through the invitation sent to ..."


def test_registering_through_the_link_stores_the_invitation_and_the_parliament(
        client, db, submit_form, make_event, directory):
    event = make_event()
    invitation = invitation_for(db.session, event, directory["Parliament of Kenya"])
    db.session.commit()
    url = f"/events/{event.slug}/register?invitation={invitation.token}"
    response = submit_form(client, url, {**registration_form_data(organisation="Kenya National Assembly",
                                                                  country="KE"), "invitation": invitation.token})
    assert response.status_code == 303
    [registration] = _registrations(db)
    assert (registration.invitation_id, registration.organisation_id) == (invitation.id,
                                                                           directory["Parliament of Kenya"].id)


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 500, "another-events-token"])
def test_a_wrong_link_says_so_politely_and_still_lets_the_person_register(
        client, db, submit_form, make_event, directory, token):
    event, other = make_event(), make_event()
    if token == "another-events-token":
        token = invitation_for(db.session, other, directory["Parliament of Chile"]).token
        db.session.commit()
    response = client.get(f"/events/{event.slug}/register?invitation={token}&lang=fr")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ce lien d’invitation n’est pas valable pour cet événement" in html
    assert 'name="invitation"' not in html
    response = submit_form(client, f"/events/{event.slug}/register", {**registration_form_data(),
                                                                      "invitation": token})
    assert response.status_code == 303
    [registration] = _registrations(db)
    assert registration.invitation_id is None


# -- eligibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "reasons"), [
    ({"affiliation_type": "member_parliament", "role": "mp"}, []),
    ({"affiliation_type": "permanent_observer", "role": "mp"}, ["affiliation"]),
    ({"affiliation_type": "member_parliament", "role": "other"}, ["role"]),
    ({"affiliation_type": "associate_member", "role": "other", "organisation": "Unknown Assembly"},
     ["affiliation", "role", "organisation_unknown"]),
])
def test_registrations_outside_the_audience_wait_for_approval_with_their_reasons(
        client, db, submit_form, make_event, directory, fields, reasons):
    event = make_event(eligible_affiliations=["member_parliament"], eligible_roles=["mp", "staff"],
                       directory_only=True, capacity=100)
    data = {"organisation": "Parliament of Senegal", **fields}
    assert _register(client, submit_form, event, **data).status_code == 303
    [registration] = _registrations(db)
    assert registration.review_reasons == reasons
    assert registration.status == ("pending" if reasons else "confirmed")


def test_an_invitation_link_counts_as_in_the_directory(client, db, submit_form, make_event, directory):
    event = make_event(directory_only=True)
    invitation = invitation_for(db.session, event, directory["Parliament of Japan"])
    db.session.commit()
    submit_form(client, f"/events/{event.slug}/register?invitation={invitation.token}",
                {**registration_form_data(organisation="衆議院"), "invitation": invitation.token})
    [registration] = _registrations(db)
    assert registration.status == "confirmed" and registration.review_reasons == []


def test_a_pending_review_takes_no_seat_and_the_full_event_still_waitlists_eligible_people(
        client, browser, db, submit_form, make_event, directory):
    event = make_event(eligible_roles=["mp"], capacity=1)
    _register(client, submit_form, event, role="staff", email="staff@parl.example")
    _register(browser(), submit_form, event, email="mp1@parl.example")
    _register(browser(), submit_form, event, email="mp2@parl.example")
    assert [(r.email, r.status) for r in _registrations(db)] == [
        ("staff@parl.example", "pending"), ("mp1@parl.example", "confirmed"), ("mp2@parl.example", "waitlisted")]


@pytest.mark.parametrize("lang, text", [("en", "Registration is by invitation"), ("fr", "Inscription sur invitation"),
                                        ("es", "Inscripción por invitación")])
def test_an_invitation_only_event_shows_a_clear_page_without_a_link(client, make_event, lang, text):
    event = make_event(invitation_only=True)
    response = client.get(f"/events/{event.slug}/register?lang={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and text in html and 'name="first_name"' not in html
    assert "events@ipu.example.org" in html


def test_an_invitation_only_event_refuses_a_post_without_a_valid_link(client, db, make_event, directory):
    event = make_event(invitation_only=True)
    invitation = invitation_for(db.session, event, directory["Parliament of Chile"])
    db.session.commit()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(
        f"/events/{event.slug}/register?invitation={invitation.token}").get_data(as_text=True)).group(1)
    for extra in ({}, {"invitation": "forged"}):
        response = client.post(f"/events/{event.slug}/register",
                               data={**registration_form_data(), "csrf_token": token, **extra})
        assert response.status_code == 403
    assert _registrations(db) == []
    response = client.post(f"/events/{event.slug}/register", data={
        **registration_form_data(), "csrf_token": token, "invitation": invitation.token})
    assert response.status_code == 303 and len(_registrations(db)) == 1


def test_the_event_page_states_who_may_register(client, make_event):
    event = make_event(eligible_affiliations=["member_parliament", "associate_member"], eligible_roles=["mp"],
                       invitation_only=True)
    html = client.get(f"/events/{event.slug}?lang=fr").get_data(as_text=True)
    assert "Membre associé" in html and "Parlementaire" in html or "parlement" in html
    assert "sur invitation" in html


def test_a_corrected_organisation_is_matched_to_the_directory_again_unless_a_link_named_it(db, make_event,
                                                                                          make_registration, directory):
    from panel_app.models import utcnow
    from panel_app.registration.services import update_details

    event = make_event()
    registration, _ = make_registration(event, organisation="Parlement du Groenland (inconnu)")
    assert registration.organisation_id is None
    update_details(db.session, registration, {"organisation": "Parlamento – Senegal"}, now=utcnow())
    assert registration.organisation_id == directory["Parliament of Senegal"].id
    update_details(db.session, registration, {"organisation": "Secrétariat d'une autre assemblée"}, now=utcnow())
    assert registration.organisation_id is None

    invited, _ = make_registration(event, organisation="Parliament of Senegal")
    link = invitation_for(db.session, event, directory["Parliament of Senegal"])
    invited.invitation_id, invited.organisation_id = link.id, directory["Parliament of Senegal"].id
    update_details(db.session, invited, {"organisation": "Assemblée nationale (commission des lois)"}, now=utcnow())
    assert invited.organisation_id == directory["Parliament of Senegal"].id  # the parliament's link decides
