"""The OpenAPI 3.1 description is generated from the schemas, and the API keeps to it:
schemathesis sends generated requests to every operation on a populated database (SQLite and
PostgreSQL) and checks that no answer is a 5xx and every answer matches its description."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from panel_app.models import Organisation, WalkIn
from tests.api.conftest import admin_user, make_token, populate  # noqa: F401

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@dataclass
class Populated:
    token: str
    slug: str
    registration_ids: list[int]


@pytest.fixture
def populated(db, make_event, populate, make_token) -> Populated:  # noqa: F811
    """Many events, an event with 120 registrations in every state, attendance, walk-ins and a directory."""
    for n in range(30):
        make_event(title=f"Panel n°{n} — Assemblée parlementaire de la Francophonie",
                   status=("published", "draft", "cancelled")[n % 3])
    event = make_event(slug="parliamentary-solidarity", capacity=100, approval_mode="manual",
                       title="Parliamentary solidarity: Supporting MPs under threat — Solidarité parlementaire",
                       translations={"fr": {"title": "Solidarité parlementaire"}})
    rows = []
    for status in ("confirmed", "pending", "waitlisted", "declined", "cancelled"):
        rows += populate(event, 24, status=status)
    for i, row in enumerate(rows[:24]):
        row.attended, row.attended_minutes = i % 2 == 0, (i * 7) % 95
        row.first_joined_at = event.starts_at + timedelta(minutes=i) if row.attended else None
        row.attendance_source = "zoom"
    db.session.add_all([WalkIn(event_id=event.id, participant_key=f"n:invité {i}", name=f"Invité·e n°{i} Ñúñez",
                               email="", attended_minutes=i) for i in range(5)])
    db.session.add_all([Organisation(name=name, country=country, affiliation_type="member_parliament",
                                     translations={"fr": name})
                        for name, country in (("Cortes Generales", "ES"), ("Assemblée nationale du Sénégal", "SN"),
                                              ("Parlement de la Côte d’Ivoire", "CI"))])
    db.session.commit()
    secret, _ = make_token("write", name="Schemathesis — contract run")
    return Populated(token=secret, slug=event.slug, registration_ids=[r.id for r in rows])


def _aim_at_real_resources(case, populated: Populated) -> None:
    """Most requests go to the populated event and its registrations, so that successful
    answers are checked too (unknown ids of 100000 and more still ask for a 404)."""
    parameters = case.path_parameters or {}
    if "slug" in parameters:
        parameters["slug"] = populated.slug
    registration_id = parameters.get("registration_id")
    if isinstance(registration_id, int) and 0 <= registration_id < 100_000:
        parameters["registration_id"] = populated.registration_ids[registration_id % len(populated.registration_ids)]


def _exercise(operation, mode, populated: Populated, statuses: list) -> None:
    """Send generated requests to one operation and check every answer against the description."""
    headers = {"Authorization": f"Bearer {populated.token}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        _aim_at_real_resources(case, populated)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses.append((operation.method.upper(), operation.path, response.status_code))

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_matches_the_openapi_description(app, populated, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    statuses: list = []
    for operation in operations:
        _exercise(operation, mode, populated, statuses)
    # The run reached real resources: every read answered successfully at least once.
    if mode == GenerationMode.POSITIVE:
        reads = {(method, path) for method, path, _ in statuses if method == "GET"}
        assert reads == {(method, path) for method, path, status in statuses if method == "GET" and status == 200}


def test_the_description_is_openapi_3_1_generated_from_the_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    bearer = spec["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer") and spec["security"] == [{"bearer": []}]
    registration = spec["components"]["schemas"]["Registration"]
    assert registration["additionalProperties"] is False
    assert registration["properties"]["email_language"]["type"] == ["string", "null"]
    problem = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(problem) == ["application/problem+json"]
    operations = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert ("/api/v1/events/{slug}/registrations", "get") in operations
    assert ("/api/v1/events/{slug}/registrations/{registration_id}", "patch") in operations
    assert len(operations) >= 15


def test_the_description_is_public_but_the_api_is_not(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/events").status_code == 401

