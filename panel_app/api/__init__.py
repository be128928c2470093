"""The JSON API at /api/v1: events, registrations, attendance, the parliaments directory, and
outgoing webhooks (panel_app/api/webhooks).

Built with flask-smorest: marshmallow schemas (`schemas`) check input and shape output, and
the same schemas generate the OpenAPI 3.1 description served at /api/v1/openapi.json (never
written by hand). Requests carry `Authorization: Bearer <token>` (`auth`); errors are RFC 9457
problem documents (`problems`). Views are thin: they parse, call the services the console and
the public form use (registration, events, attendance), and commit once.
"""

from __future__ import annotations

import http

from flask import Flask, redirect, request, url_for
from flask_babel import gettext as _
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from panel_app.api import auth, problems
from panel_app.api.blueprint import bp
from panel_app.api.schemas import ProblemSchema

OPENAPI_DESCRIPTION = """\
Registrations and attendance of online panel discussions, for an organisation's own systems.

Every request needs `Authorization: Bearer <token>`: administrators create tokens in the console
(Integrations), with scope `read` or `write` (read and write). Instants are UTC in ISO 8601
(`2026-09-26T13:00:00Z`); resources that carry them give the event's IANA zone alongside. Lists
are paged with `limit` and the opaque `next_cursor` of the previous page. Errors are RFC 9457
problem documents (`application/problem+json`) in the language of `Accept-Language` (en, fr, es).
Outgoing webhooks follow the Standard Webhooks specification (see the README).
"""


class PanelApi(Api):
    """flask-smorest's Api, answering RFC 9457 problem documents.

    flask-smorest would install its JSON error handler for the whole application; here only
    the API's own blueprint answers in JSON, and the site keeps its error pages.
    """

    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        content = {problems.MEDIA_TYPE: {"schema": ProblemSchema}}
        for status in http.HTTPStatus:
            if status >= 400:
                self.spec.components.response(status.name, {"description": status.phrase, "content": content},
                                              lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR", {"description": "A problem document (RFC 9457).", "content": content}, lazy=True)


def init_app(app: Flask) -> None:
    """Register the API blueprint, its spec and its error handling on `app`."""
    from panel_app.api import views  # noqa: F401  (attaches the routes to `bp`)
    from panel_app.extensions import csrf

    app.config.setdefault("API_TITLE", "Panel registration API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": OPENAPI_DESCRIPTION, "license": {"name": "MIT", "identifier": "MIT"}},
        "components": {"securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "An API token from the console (Integrations): `pat_...`."}}},
        "security": [{"bearer": []}],
    })
    api = PanelApi(app)
    api.register_blueprint(bp)
    # People look for the reference next to the API; it is a static page (vendored Swagger UI).
    app.add_url_rule("/api/v1/docs", "api_reference",
                     lambda: redirect(url_for("static", filename="api/reference.html")))
    # Token authentication, no cookies: a CSRF token cannot apply (and no browser session is read).
    csrf.exempt(bp)


#: The largest API request body (an event with its three translations fits easily).
API_MAX_BODY = 256 * 1024


@bp.before_request
def _before_request():
    auth.authenticate_request()
    if request.method in ("POST", "PUT", "PATCH"):
        # Requests carry small JSON documents: refuse anything else early and clearly.
        request.max_content_length = API_MAX_BODY
        if request.content_length and not request.is_json:
            raise problems.Problem(415, "unsupported-media-type", _("Send the body as application/json."))

bp.register_error_handler(problems.Problem, problems.handle_problem)
bp.register_error_handler(HTTPException, problems.handle_http_exception)
bp.register_error_handler(Exception, problems.handle_unexpected)
auth.limit_blueprint(bp)
