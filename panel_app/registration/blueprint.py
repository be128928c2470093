"""The public side's blueprint, on its own so that both view modules (`views`, the event pages
and form; `registrant_views`, the private pages) attach routes to it without importing each other."""

from flask import Blueprint
from flask_babel import get_locale

bp = Blueprint("registration", __name__)


def page_locale() -> str:
    """The language this page is shown in."""
    return str(get_locale() or "en")
