"""The console's access rule, pinned for every POST route there is (admin/auth.py).

Two layers, each tested on its own so that weakening either one fails a test:
- the blueprint's central check (`check_access`) refuses every change from a viewer before
  any view runs: the views are replaced by a stand-in here, so only that check can refuse;
- `require_role(UserRole.ADMIN)` refuses organisers (and viewers) on the administrators'
  pages: accounts, API tokens, webhook endpoints, settings, personal data.
The route lists come from the app's URL map, so a new console route is covered the day it
is added.
"""

from __future__ import annotations

import pytest
from flask import url_for

from panel_app.models import User, UserRole
from tests.conftest import csrf_from

#: POSTs anyone signed in may send (or that come before signing in).
OPEN_POSTS = {"admin.login", "admin.logout"}
#: URL prefixes of the pages only administrators may use.
ADMIN_ONLY_PREFIXES = ("/admin/users", "/admin/integrations", "/admin/settings", "/admin/privacy", "/admin/audit")


def console_posts(app, values: dict) -> dict[str, str]:
    """{endpoint: url} for every console route that accepts POST."""
    posts = {}
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("admin.") and "POST" in rule.methods and rule.endpoint not in OPEN_POSTS:
                posts[rule.endpoint] = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
    return posts


@pytest.fixture
def route_values(make_event, make_registration):
    event = make_event(title="Solidarité parlementaire : soutenir les parlementaires menacés")
    registration, _ = make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk", status="pending")
    return {"slug": event.slug, "registration_id": registration.id, "user_id": 1, "interpreter_id": 1,
            "walk_in_id": 1, "speaker_id": 1, "endpoint_id": 1, "token_id": 1, "delivery_id": 1,
            "organisation_id": 1, "contact_id": 1, "letter_id": 1}


def test_the_central_rule_refuses_every_console_post_from_a_viewer_before_any_view_runs(app, signed_in, route_values,
                                                                                      monkeypatch):
    client, _ = signed_in("viewer")
    token = csrf_from(client, "/admin/events")
    posts = console_posts(app, route_values)
    assert len(posts) >= 30  # every change the console offers
    reached = []
    for endpoint in posts:
        # Without the decorators a view carries: only the blueprint's own check stands in the way.
        monkeypatch.setitem(app.view_functions, endpoint, lambda endpoint=endpoint, **_: reached.append(endpoint) or "")
    for endpoint, url in posts.items():
        response = client.post(url, data={"csrf_token": token, "action": "approve"})
        assert response.status_code == 403, endpoint
    assert reached == []


def test_the_central_rule_lets_an_organiser_through_to_the_views(app, signed_in, route_values, monkeypatch):
    client, _ = signed_in("organiser")
    token = csrf_from(client, "/admin/events")
    posts = console_posts(app, route_values)
    for endpoint in posts:
        monkeypatch.setitem(app.view_functions, endpoint, lambda **_: "reached")
    for endpoint, url in posts.items():
        assert client.post(url, data={"csrf_token": token}).get_data(as_text=True) == "reached", endpoint


def test_viewers_and_organisers_are_refused_every_administrators_post_and_nothing_changes(app, signed_in, db,
                                                                                         route_values):
    posts = {endpoint: url for endpoint, url in console_posts(app, route_values).items()
             if url.startswith(ADMIN_ONLY_PREFIXES)}
    # accounts, API tokens, outgoing webhooks, settings, personal data
    assert {"admin.users", "admin.user_edit", "admin.token_create", "admin.token_revoke", "admin.endpoint_create",
            "admin.endpoint", "admin.endpoint_delete", "admin.endpoint_rotate", "admin.delivery_replay",
            "admin.settings", "admin.privacy_erase", "admin.privacy_export"} <= set(posts)
    for role in ("viewer", "organiser"):
        client, user = signed_in(role)
        token = csrf_from(client, "/admin/events")
        with app.test_request_context():
            own_account = url_for("admin.user_edit", user_id=user.id)
        # The form an administrator would send: make this very account an active administrator.
        promote = {"csrf_token": token, f"u{user.id}-role": "admin", f"u{user.id}-active": "y",
                   "email": "new.admin@ipu.example.org", "password": "a long enough password", "role": "admin",
                   "name": "Intégration", "url": "https://hooks.example.org/ipu"}
        for endpoint, url in [*posts.items(), ("admin.user_edit (own account)", own_account)]:
            assert client.post(url, data=promote).status_code == 403, (role, endpoint)
        db.session.expire_all()
        assert db.session.get(User, user.id).role == role
        assert db.session.query(User).filter_by(email="new.admin@ipu.example.org").count() == 0


def test_an_administrator_may_change_an_account_the_organiser_could_not(app, signed_in, make_user, post, db):
    admin, _ = signed_in("admin")
    account = make_user("organiser")
    response = post(admin, f"/admin/users/{account.id}",
                    {f"u{account.id}-role": UserRole.ADMIN, f"u{account.id}-active": "y"}, form_url="/admin/users")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, account.id).role == UserRole.ADMIN
