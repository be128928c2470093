"""Errors as RFC 9457 problem documents (application/problem+json), in the caller's language.

"Problem Details for HTTP APIs", RFC 9457: https://www.rfc-editor.org/rfc/rfc9457
Every error the API gives, from a refused token to a malformed cursor or an unexpected
exception, leaves through `problem_response`: members `type`, `title`, `status`, `detail`,
`instance`, plus `errors` (one entry per field: where, which field, a stable `code` and a
`detail` for people) when the input was at fault. `title` and `detail` follow the request's
Accept-Language (en, fr, es); `type` and the `code`s are stable for programs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from flask import Response, current_app, json, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
#: Problem types are URI references relative to the API (RFC 9457 section 3.1.1); the README
#: and the OpenAPI description list them.
TYPE_BASE = "/api/v1/problems/"

#: type slug -> title, per kind of problem the API gives.
TITLES = {
    "invalid-request": _l("The request is not valid"),
    "malformed-request": _l("The request could not be read"),
    "unsupported-media-type": _l("Send JSON"),
    "unauthenticated": _l("Authentication required"),
    "insufficient-scope": _l("This token cannot do that"),
    "not-found": _l("Not found"),
    "method-not-allowed": _l("Method not allowed"),
    "conflict": _l("Conflict with the current state"),
    "registration-closed": _l("Registration is not open"),
    "invitation-required": _l("Registration by invitation only"),
    "too-large": _l("Request too large"),
    "rate-limited": _l("Too many requests"),
    "server-error": _l("Something went wrong"),
}

#: HTTP errors raised outside the API's own code (routing, body size, rate limits) -> type.
_HTTP_TYPES = {400: "malformed-request", 401: "unauthenticated", 403: "insufficient-scope", 404: "not-found",
               405: "method-not-allowed", 409: "conflict", 413: "too-large", 415: "unsupported-media-type",
               422: "invalid-request", 429: "rate-limited"}


@dataclass
class FieldError:
    """One field's problem: `location` is "body" or "query", `field` a dotted path."""

    field: str
    code: str
    detail: str
    location: str = "body"

    def as_dict(self) -> dict:
        return {"location": self.location, "field": self.field, "code": self.code, "detail": self.detail}


@dataclass(eq=False)
class Problem(Exception):
    """Raise to answer with a problem document."""

    status: int
    type: str
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    headers: dict = field(default_factory=dict)
    #: Extension members (RFC 9457 section 3.2), e.g. {"registration_id": 12}.
    extra: dict = field(default_factory=dict)


def problem_response(problem: Problem) -> Response:
    """The response for `problem` (JSON text, media type application/problem+json)."""
    document = {
        "type": TYPE_BASE + problem.type,
        "title": str(TITLES.get(problem.type, TITLES["server-error"])),
        "status": problem.status,
        "detail": problem.detail or str(TITLES.get(problem.type, "")),
        "instance": request.path,
        **problem.extra,
    }
    if problem.errors:
        document["errors"] = [e.as_dict() for e in problem.errors]
    response = current_app.response_class(json.dumps(document), status=problem.status, mimetype=MEDIA_TYPE)
    response.headers.update(problem.headers)
    response.headers["Content-Language"] = str(get_locale() or "en")
    response.vary.add("Accept-Language")
    return response


def invalid(errors: list[FieldError], detail: str | None = None) -> Problem:
    """422 for input that was read but cannot be accepted."""
    return Problem(422, "invalid-request", detail or _("Some fields are not valid: see errors."), errors=errors)


def not_found(detail: str | None = None) -> Problem:
    return Problem(404, "not-found", detail or _("There is nothing at this address."))


def conflict(detail: str, **extra) -> Problem:
    return Problem(409, "conflict", detail, extra=extra)


# --- Messages of marshmallow and webargs, in the caller's language -------------------------

#: (pattern of marshmallow's English message, stable code, translated message). Messages not
#: listed pass through in English with the code "invalid".
_FIELD_MESSAGES: list[tuple[re.Pattern, str, object]] = [
    (re.compile(r"^Unknown field\.$"), "unknown_field", _l("This field is not known here.")),
    (re.compile(r"^Missing data for required field\.$"), "required", _l("This field is required.")),
    (re.compile(r"^Field may not be null\.$"), "null", _l("This field cannot be null.")),
    (re.compile(r"^Not a valid (string|integer|boolean|number|datetime|date|list|mapping)\.$"), "wrong_type",
     _l("This value has the wrong type.")),
    (re.compile(r"^Invalid input type\.$"), "wrong_type", _l("This value has the wrong type.")),
    (re.compile(r"^Not a valid email address\.$"), "invalid_email", _l("Enter an email address like "
                                                                       "name@parliament.example.")),
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), "not_allowed", _l("Use one of: %(choices)s.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>-?\d+) and less than or equal to (?P<max>-?\d+)\.$"),
     "out_of_range", _l("Use a number from %(min)s to %(max)s.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>-?\d+)\.$"), "out_of_range",
     _l("Use a number of at least %(min)s.")),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"), "too_long",
     _l("Use at most %(max)s characters.")),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"), "too_short",
     _l("Use at least %(min)s characters.")),
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"), "length",
     _l("Give between %(min)s and %(max)s items.")),
    (re.compile(r"^Invalid JSON body\.$"), "invalid_json", _l("The body is not valid JSON.")),
    (re.compile(r"^String does not match expected pattern\.$"), "invalid_format",
     _l("This value does not have the expected form.")),
]


def field_error(location: str, path: str, message) -> FieldError:
    """A FieldError from one validation message (ours carry their code as "code: text")."""
    text = str(message)
    if isinstance(message, CodedMessage):
        return FieldError(path, message.code, str(message.text), location)
    for pattern, code, translated in _FIELD_MESSAGES:
        match = pattern.match(text)
        if match:
            return FieldError(path, code, str(translated) % match.groupdict() if match.groupdict() else
                              str(translated), location)
    return FieldError(path, "invalid", text, location)


class CodedMessage(str):
    """A validation message that carries its stable code (our own fields raise these)."""

    def __new__(cls, code: str, text):
        instance = super().__new__(cls, str(text))
        instance.code = code
        instance.text = text
        return instance


_LOCATIONS = {"json": "body", "query": "query", "querystring": "query", "view_args": "path", "headers": "header"}


def errors_from_messages(messages: dict) -> list[FieldError]:
    """Flatten webargs' {"json": {"field": ["message"], "nested": {"0": {...}}}} into FieldErrors."""
    errors: list[FieldError] = []

    def walk(location: str, node, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                child = path if key == "_schema" else (f"{path}.{key}" if path else str(key))
                walk(location, value, child)
        elif isinstance(node, (list, tuple)):
            for message in node:
                if isinstance(message, (dict, list)):
                    walk(location, message, path)
                else:
                    errors.append(field_error(location, path, message))
        else:
            errors.append(field_error(location, path, node))

    for location, node in (messages or {}).items():
        walk(_LOCATIONS.get(location, location), node, "")
    return errors


# --- Handlers ---------------------------------------------------------------------------

def from_http_exception(exc: HTTPException) -> Problem:
    """The problem document for an HTTP error raised by Flask, webargs or the limiter."""
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if messages:
        errors = errors_from_messages(messages)
        if any(e.code == "invalid_json" for e in errors):
            return Problem(400, "malformed-request", _("The body is not valid JSON (UTF-8)."))
        return invalid(errors)
    headers = dict(data.get("headers") or {})
    if code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    problem_type = _HTTP_TYPES.get(code, "server-error" if code >= 500 else "malformed-request")
    detail = {
        "not-found": _("There is nothing at this address."),
        "method-not-allowed": _("This address does not accept this method."),
        "too-large": _("The request body is too large."),
        "rate-limited": _("This token sent too many requests: wait before trying again."),
        "malformed-request": _("The request could not be understood."),
    }.get(problem_type, "")
    return Problem(code, problem_type, detail, headers=headers)


def _discard_unit_of_work() -> None:
    """Nothing of a refused request is kept (the token's last-use time was committed before)."""
    from panel_app.extensions import db

    db.session.rollback()


def handle_http_exception(exc: HTTPException) -> Response:
    _discard_unit_of_work()
    problem = from_http_exception(exc)
    response = problem_response(problem)
    # Flask-Limiter's Retry-After and X-RateLimit-* headers, when it set them.
    for name, value in (exc.get_headers() if hasattr(exc, "get_headers") else []):
        if name.lower() not in ("content-type", "content-length") and name not in response.headers:
            response.headers[name] = value
    return response


def handle_problem(problem: Problem) -> Response:
    _discard_unit_of_work()
    return problem_response(problem)


def handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    route = request.url_rule.rule if request.url_rule else "(no route)"
    log.exception("unhandled error on %s %s", request.method, route)
    _discard_unit_of_work()
    return problem_response(Problem(500, "server-error", _("The error was logged. Please try again later.")))
