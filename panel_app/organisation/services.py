"""The organisation's identity: who runs the site, shown on every public page and in every email.

`identity(session, locale)` is the one reader. Each value comes from the console's settings
(`IdentitySettings`, one row) when set there, else from the environment (ORGANISATION_*,
DATA_CONTROLLER_*; see config.py). The answer is cached for the rest of the request (or job).
`update_settings` is the one writer (the console's settings page).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, g, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.models import SETTINGS_ID, IdentitySettings, User
from panel_app.organisation.colours import Colours, check_brand_colour
from panel_app.registration import validation

log = logging.getLogger(__name__)

#: Logos are shown about 48 px high: half a megabyte is plenty, and mail clients download it.
LOGO_MAX_BYTES = 512 * 1024
#: PNG and JPEG only: every mail client shows them (SVG is blocked by Gmail and Outlook).
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": ("image/png", "png"), b"\xff\xd8\xff": ("image/jpeg", "jpg")}
NAME_MAX = 200


@dataclass(frozen=True)
class Identity:
    """The organisation as shown to a reader in `locale`."""

    locale: str
    name: str
    short_name: str
    contact_email: str
    #: The organisation's own site ("" when none): the header's name and logo link to it.
    website: str
    #: Absolute address of the logo (BASE_URL + path), for emails; None without a logo.
    logo_url: str | None
    #: The same, relative to the site, for pages (works whatever host serves them).
    logo_path: str | None
    colours: Colours
    controller_name: str
    controller_address: str
    #: Changes whenever the console's settings change (part of page-memo keys).
    version: int = 0
    #: True when no name is configured anywhere (pages then show a neutral title).
    unnamed: bool = field(default=False, compare=False)

    @property
    def theme_digest(self) -> str:
        return hashlib.sha256(f"{self.colours.primary}{self.colours.primary_dark}".encode()).hexdigest()[:12]


def _settings_row(session: Session) -> IdentitySettings | None:
    return session.get(IdentitySettings, SETTINGS_ID)


def _cache() -> dict | None:
    if not has_app_context():
        return None
    if "_organisation_identity" not in g:
        g._organisation_identity = {}
    return g._organisation_identity


def identity(session: Session, locale: str) -> Identity:
    """The organisation in `locale` (any language code; unknown ones get the default name)."""
    cache = _cache()
    if cache is not None and locale in cache:
        return cache[locale]
    result = build_identity(_settings_row(session), current_app.config, locale)
    if cache is not None:
        cache[locale] = result
    return result


def fallback_identity(locale: str) -> Identity:
    """The environment's identity, without the database (error pages when it is down)."""
    return build_identity(None, current_app.config, locale)


def forget_cached_identity() -> None:
    """After a change in this request: the next `identity()` reads the new settings."""
    cache = _cache()
    if cache is not None:
        cache.clear()


def _first(*values: str | None) -> str:
    return next((v for v in values if v), "")


def build_identity(row: IdentitySettings | None, config, locale: str) -> Identity:
    names = dict(row.names or {}) if row is not None else {}
    env_names = config.get("ORGANISATION_NAMES") or {}
    default = config.get("BABEL_DEFAULT_LOCALE", "en")
    name = _first(names.get(locale), env_names.get(locale), names.get(default), config.get("ORGANISATION_NAME"),
                  env_names.get(default))
    unnamed = not name
    if unnamed:
        with force_locale(locale):
            name = _("Panel registration")
    colour = _first(row.colour if row is not None else "", config.get("ORGANISATION_COLOUR"))
    logo = _logo_reference(row, config)
    base_url = (config.get("BASE_URL") or "").rstrip("/")
    return Identity(
        locale=locale,
        name=name,
        short_name=_first(row and row.short_name, config.get("ORGANISATION_SHORT_NAME")) or name,
        contact_email=_first(row and row.contact_email, config.get("ORGANISATION_CONTACT_EMAIL")),
        website=_first(row and row.website, config.get("ORGANISATION_WEBSITE")),
        logo_url=f"{base_url}{logo}" if logo else None,
        logo_path=logo,
        colours=Colours.from_brand(colour),
        controller_name=_first(row and row.controller_name, config.get("DATA_CONTROLLER_NAME")) or name,
        controller_address=_first(row and row.controller_address, config.get("DATA_CONTROLLER_ADDRESS")),
        version=row.version if row is not None else 0,
        unnamed=unnamed,
    )


# ------------------------------------------------------------------------------------ logo

def logo_kind(data: bytes) -> tuple[str, str] | None:
    """(content type, file extension) of a PNG or JPEG image, else None."""
    for magic, kind in LOGO_TYPES.items():
        if data.startswith(magic):
            return kind
    return None


_env_logo_lock = threading.Lock()
_env_logo_cache: dict[tuple, tuple[bytes, str, str] | None] = {}


def environment_logo(config) -> tuple[bytes, str, str] | None:
    """(bytes, content type, digest) of the ORGANISATION_LOGO file, or None.

    Read again only when the file changes. A missing or unusable file is logged and ignored:
    the site keeps working with the name alone.
    """
    setting = config.get("ORGANISATION_LOGO") or ""
    if not setting:
        return None
    path = Path(setting)
    if not path.is_absolute():
        path = Path(config["INSTANCE_PATH"]) / path
    try:
        stat = path.stat()
    except OSError:
        log.warning("ORGANISATION_LOGO %s cannot be read; no logo is shown", path)
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _env_logo_lock:
        if key in _env_logo_cache:
            return _env_logo_cache[key]
    data = path.read_bytes() if stat.st_size <= LOGO_MAX_BYTES else b""
    kind = logo_kind(data)
    value = (data, kind[0], hashlib.sha256(data).hexdigest()) if kind else None
    if value is None:
        log.warning("ORGANISATION_LOGO %s is not a PNG or JPEG file under %d bytes; no logo is shown",
                    path, LOGO_MAX_BYTES)
    with _env_logo_lock:
        _env_logo_cache[key] = value
    return value


def _extension(content_type: str) -> str:
    return "jpg" if content_type == "image/jpeg" else "png"


def _logo_reference(row: IdentitySettings | None, config) -> str | None:
    """The logo's path on this site (`/organisation/logo-<digest>.<ext>`), or None."""
    if row is not None and row.logo_digest:
        return f"/organisation/logo-{row.logo_digest[:32]}.{_extension(row.logo_type)}"
    env = environment_logo(config)
    if env is not None:
        return f"/organisation/logo-{env[2][:32]}.{_extension(env[1])}"
    return None


def logo_for(session: Session, digest: str) -> tuple[bytes, str] | None:
    """The logo whose address carries `digest`: (bytes, content type), or None."""
    row = _settings_row(session)
    if row is not None and row.logo_digest and row.logo_digest[:32] == digest:
        return row.logo, row.logo_type
    env = environment_logo(current_app.config)
    if env is not None and env[2][:32] == digest:
        return env[0], env[1]
    return None


# --------------------------------------------------------------------------- settings

class IdentityError(ValueError):
    """Values that cannot be saved: `errors` maps each field to a code ("too_long",
    "control_character", "bidi_control", "invalid_email", "invalid_url", "invalid_colour",
    "low_contrast", "logo_type", "logo_size")."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class IdentityInput:
    """The console's values; "" means "use the environment's"."""

    names: dict[str, str]
    short_name: str = ""
    contact_email: str = ""
    website: str = ""
    colour: str = ""
    controller_name: str = ""
    controller_address: str = ""


def _clean(errors: dict, name: str, value: str, limit: int, multiline: bool = False) -> str:
    try:
        return validation.clean_text(value, max_length=limit, multiline=multiline)
    except validation.InvalidInput as exc:
        errors[name] = exc.code
        return ""


def clean_input(data: IdentityInput) -> IdentityInput:
    """`data` trimmed and checked; raises IdentityError naming every field that cannot be saved."""
    errors: dict[str, str] = {}
    names = {code: _clean(errors, f"name_{code}", value, NAME_MAX) for code, value in data.names.items()}
    short_name = _clean(errors, "short_name", data.short_name, 40)
    contact = _clean(errors, "contact_email", data.contact_email, 320)
    if contact:
        try:
            contact = validation.normalise_email(contact)[0]
        except validation.InvalidInput:
            errors["contact_email"] = "invalid_email"
    website = _clean(errors, "website", data.website, 500)
    if website:
        parts = urlsplit(website)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in website:
            errors["website"] = "invalid_url"
    colour = (data.colour or "").strip().lower()
    if colour:
        problem = check_brand_colour(colour)
        if problem:
            errors["colour"] = "invalid_colour" if "not a colour" in problem else "low_contrast"
    controller_name = _clean(errors, "controller_name", data.controller_name, 300)
    controller_address = _clean(errors, "controller_address", data.controller_address, 1000, multiline=True)
    if errors:
        raise IdentityError(errors)
    return IdentityInput(names=names, short_name=short_name, contact_email=contact, website=website, colour=colour,
                         controller_name=controller_name, controller_address=controller_address)


def update_settings(
    session: Session,
    data: IdentityInput,
    *,
    logo: bytes | None = None,
    remove_logo: bool = False,
    actor: User | str | None,
    ip: str | None = None,
    now: datetime,
) -> list[str]:
    """Save the console's identity settings; returns the names of the fields that changed.

    Raises IdentityError (nothing saved) when a value cannot be used. Flushes; the caller commits.
    """
    clean = clean_input(data)
    errors: dict[str, str] = {}
    kind = None
    if logo:
        if len(logo) > LOGO_MAX_BYTES:
            errors["logo"] = "logo_size"
        else:
            kind = logo_kind(logo)
            if kind is None:
                errors["logo"] = "logo_type"
    if errors:
        raise IdentityError(errors)
    row = _settings_row(session)
    if row is None:
        row = IdentitySettings(id=SETTINGS_ID, names={}, version=0)
        session.add(row)
    changed: list[str] = []
    names = {code: value for code, value in clean.names.items() if value}
    if (row.names or {}) != names:
        row.names = names
        changed.append("names")
    for name in ("short_name", "contact_email", "website", "colour", "controller_name", "controller_address"):
        if (getattr(row, name) or "") != getattr(clean, name):
            setattr(row, name, getattr(clean, name))
            changed.append(name)
    if logo and kind is not None:
        digest = hashlib.sha256(logo).hexdigest()
        if digest != row.logo_digest:
            row.logo, row.logo_type, row.logo_digest = logo, kind[0], digest
            changed.append("logo")
    elif remove_logo and row.logo_digest:
        row.logo, row.logo_type, row.logo_digest = None, "", ""
        changed.append("logo")
    if changed:
        row.version = (row.version or 0) + 1
        row.updated_at = now
        record(session, "settings.identity", actor=actor, details={"changed": changed}, ip=ip, now=now)
    session.flush()
    forget_cached_identity()
    return changed
