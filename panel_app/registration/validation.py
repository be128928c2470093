"""Cleaning and checking what people type, shared by the web form and the services."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email


class InvalidInput(ValueError):
    """A value that cannot be accepted. `code` lets the caller word the message in the
    reader's language: "control_character", "bidi_control", "too_long" (with `limit`) or
    "invalid_email"."""

    def __init__(self, code: str, detail: str = "", limit: int | None = None):
        super().__init__(detail or code)
        self.code = code
        self.limit = limit


NAME_MAX = 200
#: Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they reorder
#: how the text around them is displayed, so "Amina" can be made to read as another name in the
#: console, an export or an email. Unicode Technical Report #36, section 2.1 (bidirectional text
#: spoofing): https://www.unicode.org/reports/tr36/#Bidirectional_Text_Spoofing
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
TEXT_MAX = 300
LONG_TEXT_MAX = 2000


def clean_text(value: str | None, *, max_length: int, multiline: bool = False) -> str:
    """NFC-normalise, trim and refuse control characters; keep every script and accent.

    Right-to-left marks and joiners (format characters) are kept: names in Arabic or
    Persian need them. Bidirectional overrides and isolates are refused (`BIDI_CONTROLS`).
    """
    text = unicodedata.normalize("NFC", value or "").strip()
    allowed_controls = {"\n", "\r", "\t"} if multiline else set()
    for ch in text:
        if unicodedata.category(ch) == "Cc" and ch not in allowed_controls:
            raise InvalidInput("control_character")
        if ch in BIDI_CONTROLS:
            raise InvalidInput("bidi_control")
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > max_length:
        raise InvalidInput("too_long", limit=max_length)
    return text


def normalise_email(value: str) -> tuple[str, str]:
    """Return (email as written with the domain normalised, case-folded key for uniqueness).

    Surrounding spaces are forgiven; anything email-validator rejects raises InvalidInput.
    """
    candidate = (value or "").strip()
    if len(candidate) > 320:
        raise InvalidInput("too_long", limit=320)
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput("invalid_email", str(exc)) from exc
    return result.normalized, result.normalized.casefold()
