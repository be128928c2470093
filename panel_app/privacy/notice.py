"""What the privacy notice says about outside processors, read from the configuration."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Processor:
    #: Who processes the data ("Zoom Video Communications, Inc.", the mail relay's operator).
    name: str
    #: "zoom" or "mail": the template words what they receive and why.
    kind: str


def processors(config) -> list[Processor]:
    """The outside services that receive registrants' data under this configuration.

    Zoom receives registrants only when Zoom sync is configured (ZOOM_* credentials); the mail
    relay only when mail goes out through MAIL_SERVER (the outbox folder stays on this server).
    """
    found = []
    if config.get("ZOOM_ACCOUNT_ID") and config.get("ZOOM_CLIENT_ID"):
        found.append(Processor("Zoom Video Communications, Inc.", "zoom"))
    if config.get("MAIL_SERVER"):
        found.append(Processor(config.get("PRIVACY_MAIL_PROCESSOR") or config["MAIL_SERVER"], "mail"))
    return found
