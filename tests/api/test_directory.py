"""The parliaments directory, an event's coverage of it, and walk-ins."""

from __future__ import annotations

from panel_app.models import Organisation, WalkIn
from tests.api.conftest import problem

DIRECTORY = [
    ("Assemblée nationale du Sénégal", "SN", "member_parliament", True),
    ("Cortes Generales", "ES", "member_parliament", True),
    ("Parlement de la Côte d’Ivoire", "CI", "member_parliament", True),
    ("Parlamento Centroamericano", "", "associate_member", True),
    ("Ancien Parlement provisoire", "ZZ", "member_parliament", False),
]


def _directory(db):
    db.session.add_all([Organisation(name=name, country=country, affiliation_type=kind, active=active,
                                     translations={"es": name}) for name, country, kind, active in DIRECTORY])
    db.session.commit()


def test_the_directory_is_listed_by_name_with_filters_and_a_cursor(api, db):
    _directory(db)
    page = api.get("/api/v1/parliaments", query_string={"limit": 2}).get_json()
    names = [o["name"] for o in page["items"]]
    page = api.get("/api/v1/parliaments", query_string={"limit": 10, "cursor": page["next_cursor"]}).get_json()
    names += [o["name"] for o in page["items"]]
    assert names == sorted(name for name, *_ in DIRECTORY) and page["next_cursor"] is None
    body = api.get("/api/v1/parliaments", query_string={"affiliation_type": "associate_member"}).get_json()
    assert [o["name"] for o in body["items"]] == ["Parlamento Centroamericano"]
    body = api.get("/api/v1/parliaments", query_string={"active": "false"}).get_json()
    assert [o["name"] for o in body["items"]] == ["Ancien Parlement provisoire"]
    response = api.get("/api/v1/parliaments", query_string={"active": "maybe"})
    assert response.status_code == 422 and problem(response)["errors"][0]["field"] == "active"


def test_coverage_counts_each_parliament_reached_by_an_event(api, db, make_event, make_registration):
    _directory(db)
    event = make_event()
    make_registration(event, organisation="Cortes Generales", email="a@congreso.example", attended=True)
    make_registration(event, organisation="Cortes Generales", email="b@congreso.example", status="pending")
    make_registration(event, organisation="Assemblée nationale du Sénégal", email="c@assemblee.example",
                      status="cancelled")
    body = api.get(f"/api/v1/events/{event.slug}/coverage").get_json()
    rows = {row["organisation"]["name"]: row for row in body["items"]}
    assert body["organisations"] == 4 and body["represented"] == 1  # the inactive entry is left out
    assert (rows["Cortes Generales"]["registered"], rows["Cortes Generales"]["confirmed"],
            rows["Cortes Generales"]["attended"]) == (2, 1, 1)
    assert rows["Assemblée nationale du Sénégal"]["registered"] == 0


def test_walk_ins_are_listed_a_page_at_a_time(api, db, make_event):
    event = make_event()
    db.session.add_all([WalkIn(event_id=event.id, participant_key=f"n:invité {i}", name=f"Invité·e {i} Ñúñez",
                               email="", attended_minutes=i * 5) for i in range(7)])
    db.session.commit()
    first = api.get(f"/api/v1/events/{event.slug}/walk-ins", query_string={"limit": 5}).get_json()
    rest = api.get(f"/api/v1/events/{event.slug}/walk-ins",
                   query_string={"limit": 5, "cursor": first["next_cursor"]}).get_json()
    names = [w["name"] for w in first["items"] + rest["items"]]
    assert len(names) == len(set(names)) == 7 and rest["next_cursor"] is None
    assert first["items"][0]["event"] == event.slug


def test_an_unknown_address_or_method_under_the_api_is_a_problem(api, make_event):
    event = make_event()
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404 and problem(response)["type"] == "/api/v1/problems/not-found"
    response = api.client.delete(f"/api/v1/events/{event.slug}", headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 405 and "PATCH" in response.headers["Allow"]
    assert problem(response)["type"] == "/api/v1/problems/method-not-allowed"


def test_nul_bytes_in_addresses_and_filters_are_refused_not_crashed(api, make_event):
    event = make_event()
    for url, params in ((f"/api/v1/events/{event.slug}%00", {}), ("/api/v1/events/%00", {}),
                        ("/api/v1/parliaments", {"country": "S\x00"}),
                        (f"/api/v1/events/{event.slug}/registrations", {"country": "\x00N"}),
                        (f"/api/v1/events/{event.slug}/registrations", {"q": "Ñúñez\x00"})):
        response = api.get(url, query_string=params)
        assert response.status_code in (404, 422), (url, params, response.status_code)
        problem(response)
