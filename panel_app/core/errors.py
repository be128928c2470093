"""Error pages in the site layout: no stack trace ever reaches a visitor."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

log = logging.getLogger(__name__)


class RefusedInput(BadRequest):
    """400 whose description is a message for the visitor (translated), shown on the page."""


class UnstorableInput(BadRequest):
    """400: the request carried text no database can store (a NUL, a UTF-16 surrogate half).
    Raised before the statement is sent (panel_app/security.py); the unit of work is dropped."""


def _messages(code: int) -> tuple[str, str]:
    known = {
        400: (_("Bad request"), _("The request could not be understood. Please go back and try again.")),
        403: (_("Not allowed"), _("You do not have permission to do this.")),
        404: (_("Page not found"), _("This page does not exist. Check the link you followed.")),
        405: (_("Not allowed"), _("This address cannot be used that way.")),
        413: (
            _("Too much data"),
            _("What you sent is too large. Shorten long fields and try again."),
        ),
        429: (_("Too many requests"), _("Please wait a moment before trying again.")),
    }
    return known.get(code, (_("Something went wrong"), _("Please try again in a moment.")))


def render_error(code: int, message: str | None = None):
    title, default_message = _messages(code)
    return render_template("errors/error.html", code=code, title=title, message=message or default_message), code


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            # Unmatched API addresses and methods: the API's own blueprint never saw them.
            from panel_app.api.problems import handle_http_exception

            return handle_http_exception(exc)
        if request.path.startswith("/webhooks/"):
            return {"error": exc.name, "status": exc.code}, exc.code
        if isinstance(exc, RefusedInput):
            return render_error(exc.code, exc.description)
        if isinstance(exc, UnstorableInput):
            from panel_app.extensions import db

            db.session.rollback()  # the statement was never sent; drop the rest of the unit of work too
            return render_error(exc.code, _("What you sent contains a character that cannot be accepted (a null "
                                            "character, often left by copying and pasting). Go back, remove it "
                                            "and try again."))
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        # The URL rule, not the path: /registrations/<token> must not put a private token in the log.
        route = request.url_rule.rule if request.url_rule else "(no route)"
        log.exception("unhandled error on %s %s", request.method, route)
        from panel_app.extensions import db

        db.session.rollback()  # never leave half a unit of work behind
        return render_error(InternalServerError.code)
