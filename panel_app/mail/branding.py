"""What every email shows about the organisation (header, footer, colours, signature).

Read from the one source of the organisation's identity (`organisation.services.identity`)
in the reader's language, plus the addresses the footer links to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from panel_app.organisation.services import identity


@dataclass(frozen=True)
class Brand:
    """The organisation as one email shows it, in the reader's language."""

    name: str
    logo_url: str | None
    website: str
    contact_email: str
    privacy_url: str
    #: Header and button background (white text on it has WCAG AA contrast).
    primary: str
    primary_dark: str
    on_primary: str


def brand(session: Session, locale: str, config) -> Brand:
    """The organisation for a reader in `locale`."""
    mine = identity(session, locale)
    return Brand(
        name=mine.name,
        logo_url=mine.logo_url,
        website=mine.website,
        contact_email=mine.contact_email,
        privacy_url=config["BASE_URL"] + _path(("privacy.notice", "registration.privacy"), "/privacy"),
        primary=mine.colours.primary,
        primary_dark=mine.colours.primary_dark,
        on_primary=mine.colours.on_primary,
    )


def _path(endpoints: tuple[str, ...], default: str) -> str:
    """The path of a public page (the first endpoint that exists), built outside any request
    (mail is sent by workers)."""
    from flask import current_app

    adapter = current_app.url_map.bind("localhost")
    for endpoint in endpoints:
        try:
            return adapter.build(endpoint)
        except BuildError:
            continue
    return default
