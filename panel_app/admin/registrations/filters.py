"""The registration list's query string: search, filters, sorting and paging.

Parsed once into a `RegistrationFilters` that the list page, the exports and group
messages all share, so "export what I see" and "write to the people I see" hold.
Values are checked against closed sets; anything else is reported, never guessed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from panel_app.core import languages as app_languages
from panel_app.models import AffiliationType, ParticipantRole, RegistrationStatus, SyncState
from panel_app.models.folding import fold
from panel_app.registration.countries import country_choices, country_codes

SEARCH_MAX = 200
PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50
#: Sort keys offered to the reader (mapped to columns by the services).
SORT_KEYS = ("created", "name", "email", "organisation", "country", "status", "language", "minutes")
ATTENDED_CHOICES = ("yes", "no", "unknown")

CHOICES: dict[str, tuple[str, ...]] = {
    "status": tuple(s.value for s in RegistrationStatus),
    "affiliation_type": tuple(a.value for a in AffiliationType),
    "role": tuple(r.value for r in ParticipantRole),
    "zoom_state": tuple(s.value for s in SyncState),
    "invite_state": tuple(s.value for s in SyncState),
    "attended": ATTENDED_CHOICES,
    # "yes": pending because outside the event's stated audience (registration.services.review_reasons).
    "review": ("yes",),
}


@dataclass
class RegistrationFilters:
    q: str = ""
    status: str = ""
    affiliation_type: str = ""
    role: str = ""
    language: str = ""
    country: str = ""
    zoom_state: str = ""
    invite_state: str = ""
    attended: str = ""
    review: str = ""
    sort: str = "created"
    dir: str = "desc"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    #: Names that select rows (as opposed to sorting and paging).
    SELECTING = (
        "q", "status", "affiliation_type", "role", "language", "country", "zoom_state", "invite_state", "attended",
        "review",
    )

    def selection(self) -> dict[str, str]:
        """The row-selecting filters that are set (for exports, messages and the audit log)."""
        return {name: getattr(self, name) for name in self.SELECTING if getattr(self, name)}

    def query_args(self, **overrides) -> dict:
        """Query-string arguments that reproduce this view (defaults left out)."""
        defaults = RegistrationFilters()
        values = {**asdict(self), **overrides}
        return {k: v for k, v in values.items() if v != getattr(defaults, k)}


def _name_key(name: str) -> str:
    """A country name as compared: folded, letters and digits only ("Côte d’Ivoire" = "cote divoire")."""
    return "".join(ch for ch in fold(name) if ch.isalnum())


@lru_cache(maxsize=8)
def _country_names(locale: str) -> dict[str, str]:
    """{name key: code} for the names in `locale`, then in every other language of the app."""
    keys: dict[str, str] = {}
    for language in (locale, *app_languages.CODES):
        for code, name in country_choices(language):
            keys.setdefault(_name_key(name), code)
    return keys


def country_code_for(text: str, locale: str = "en") -> str | None:
    """The ISO code an organiser means by `text`: a code ("fr"), a name in the page's language or
    another of the app's ("Côte d'Ivoire", "cote divoire", "Suiza"), or the start of exactly one
    name ("Burkina"). None when nothing or several countries fit."""
    text = text.strip()
    if len(text) == 2 and text.isascii() and text.upper() in country_codes():
        return text.upper()
    key = _name_key(text)
    if not key:
        return None
    names = _country_names(locale)
    if key in names:
        return names[key]
    starts = {code for name, code in names.items() if name.startswith(key)}
    return starts.pop() if len(starts) == 1 else None


def parse_filters(args, *, languages: list[str], locale: str = "en") -> tuple[RegistrationFilters, list[str]]:
    """Read filters from a mapping of query arguments; returns (filters, error messages).

    Unknown values for a known filter, junk page numbers and overlong searches produce an
    error message and leave that filter unset, so the caller can answer 400 with a page
    that explains which part was wrong.
    """
    filters = RegistrationFilters()
    errors: list[str] = []

    q = (args.get("q") or "").strip()
    if len(q) > SEARCH_MAX:
        errors.append(str(_l("The search text is too long: use at most %(limit)d characters.", limit=SEARCH_MAX)))
    elif any(ord(ch) < 32 for ch in q):
        errors.append(str(_l("The search text contains characters that cannot be searched for.")))
    else:
        filters.q = q

    choices = dict(CHOICES, language=tuple(languages))
    for name, allowed in choices.items():
        value = (args.get(name) or "").strip()
        if not value:
            continue
        if value in allowed:
            setattr(filters, name, value)
        else:
            errors.append(str(_l("Unknown value for the filter “%(name)s”.", name=name)))

    country = (args.get("country") or "").strip()
    if country:
        code = country_code_for(country, locale) if len(country) <= 100 and "\x00" not in country else None
        if code:
            filters.country = code
        else:
            errors.append(str(_l("Unknown country “%(name)s”: choose a name from the list or type a two-letter "
                                 "code such as FR.", name=country[:100])))

    sort = args.get("sort") or "created"
    if sort in SORT_KEYS:
        filters.sort = sort
    else:
        errors.append(str(_l("Unknown sort order.")))
    direction = args.get("dir") or "desc"
    if direction in ("asc", "desc"):
        filters.dir = direction
    else:
        errors.append(str(_l("Unknown sort direction.")))

    page = _positive_int(args.get("page"), 1)
    if page is None:
        errors.append(str(_l("The page number must be a whole number from 1.")))
    else:
        filters.page = page
    per_page = _positive_int(args.get("per_page"), DEFAULT_PER_PAGE)
    if per_page not in PER_PAGE_CHOICES:
        choices = ", ".join(map(str, PER_PAGE_CHOICES))
        errors.append(str(_l("Rows per page must be one of %(choices)s.", choices=choices)))
    else:
        filters.per_page = per_page
    return filters, errors


def _positive_int(value, default: int) -> int | None:
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not text.isdigit() or len(text) > 9:
        return None
    number = int(text)
    return number if number >= 1 else None


def filters_from_dict(data: dict, *, languages: list[str]) -> RegistrationFilters:
    """Rebuild filters stored with a message (already validated when stored)."""
    known = {f.name for f in fields(RegistrationFilters)}
    filters, _ = parse_filters({k: v for k, v in (data or {}).items() if k in known}, languages=languages)
    return filters
