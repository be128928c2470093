"""Error pages: in the site layout, in the reader's language, never a stack trace."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from panel_app.models import Event


def test_unexpected_error_renders_500_page_and_rolls_back(app, db, make_event, caplog):
    event = make_event(title="Before")
    with app.test_request_context("/events/x"):
        from panel_app.extensions import db as _db

        row = _db.session.get(Event, event.id)
        row.title = "half-written"
        _db.session.flush()
        response = app.make_response(app.handle_user_exception(RuntimeError("boom")))
        html = response.get_data(as_text=True)
        assert response.status_code == 500
        assert '<header class="site-header">' in html and "Something went wrong" in html
        assert "boom" not in html and "Traceback" not in html
    assert "unhandled error" in caplog.text
    db.session.expire_all()
    assert db.session.scalar(sa.select(Event.title).where(Event.id == event.id)) == "Before"


def test_error_page_is_translated(client):
    response = client.get("/no/such/page?lang=fr")
    assert response.status_code == 404
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_api_and_webhook_paths_get_json_errors(app):
    for path in ("/api/nothing", "/webhooks/nothing"):
        with app.test_request_context(path):
            response = app.make_response(app.handle_user_exception(NotFound()))
            assert response.status_code == 404 and response.get_json(force=True)["status"] == 404


def test_unexpected_error_log_names_the_route_not_the_private_token(app, caplog):
    token = "SeCrEtPrivateToken123"
    with app.test_request_context(f"/registrations/{token}"):
        response = app.make_response(app.handle_user_exception(RuntimeError("boom")))
    assert response.status_code == 500
    assert "unhandled error on GET /registrations/<token>" in caplog.text
    assert token not in caplog.text
