"""Email bodies rendered once per shared context, with the personal values filled in after.

A burst of invites for one event differs only in a few personal values (name, links), so
the templates are rendered once with markers in their place (`skeletons`) and each
message fills its own values in (`fill`): the result is what rendering per person gives.
"""

from __future__ import annotations

import re
import secrets
from types import SimpleNamespace

from flask import current_app, render_template
from markupsafe import escape

#: Per-process random marker for the personal values in cached email bodies: nobody can
#: put it into an event's title or description on purpose.
_SLOT = f"PANELSLOT{secrets.token_hex(8)}"
_PERSONAL = ("name", "join_url", "manage_url", "google", "outlook_com", "office_365", "ics")
_SLOT_RE = re.compile(_SLOT + "(" + "|".join(_PERSONAL) + ")Z")


def _slot(name: str) -> str:
    return f"{_SLOT}{name}Z"


def skeletons(shared: dict, locale: str, *, brand, join_url: bool, personal_link: bool, manage_url: bool,
              links: bool, has_invite: bool) -> tuple[str, str]:
    """The text and HTML bodies rendered once with markers where the personal values go.

    The markers are letters and digits only, which neither HTML escaping nor translation
    changes; `fill` puts each registrant's values in (HTML-escaped for the HTML body,
    exactly what autoescaping does), so the result is what rendering per person gives.
    """
    context = {
        "registration": SimpleNamespace(full_name=_slot("name")),
        "event": shared["event"],
        "kind": shared["kind"],
        "title": shared["title"],
        "subject": shared["subject"],
        "times": shared["times"],
        "paragraphs": shared["paragraphs"],
        "language": shared["language"],
        "event_url": shared["event_url"],
        "join_url": _slot("join_url") if join_url else None,
        "personal_link": personal_link,
        "manage_url": _slot("manage_url") if manage_url else None,
        "links": SimpleNamespace(google=_slot("google"), outlook_com=_slot("outlook_com"),
                                 office_365=_slot("office_365"), ics=_slot("ics")) if links else None,
        "organiser_name": shared["organiser_name"],
        "has_invite": has_invite,
        "brand": brand,
        "lang": locale,
    }
    return (render_template("emails/registration.txt", **context),
            render_template("emails/registration.html", **context))


def group_bodies(*, event, subject: str, body: str, locale: str, brand, organiser_name: str) -> tuple[str, str]:
    """Text and HTML of an organiser's message to a group: their text as written (paragraphs
    at blank lines, line breaks kept), in the shared layout."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", body.replace("\r\n", "\n")) if p.strip()]
    context = {
        "subject": subject,
        "body": body.strip("\n"),
        "paragraphs": paragraphs,
        "title": event.localized("title", locale),
        "event_url": f"{current_app.config['BASE_URL']}/events/{event.slug}",
        "organiser_name": organiser_name,
        "brand": brand,
        "lang": locale,
    }
    return render_template("emails/group.txt", **context), render_template("emails/group.html", **context)


def fill(skeleton: tuple[str, str], personal: dict) -> tuple[str, str]:
    text, html = skeleton
    escaped = {key: str(escape(value)) for key, value in personal.items()}
    # One pass each: an inserted value is never scanned for markers again.
    return (_SLOT_RE.sub(lambda m: personal[m.group(1)], text),
            _SLOT_RE.sub(lambda m: escaped[m.group(1)], html))
