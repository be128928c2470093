"""ISO 3166-1 countries with names in the reader's language."""

from __future__ import annotations

from functools import lru_cache

import pycountry
from babel import Locale


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@lru_cache(maxsize=8)
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name) pairs sorted by name in `locale`; names from CLDR via Babel."""
    names = Locale.parse(locale).territories
    pairs = []
    for country in pycountry.countries:
        pairs.append((country.alpha_2, names.get(country.alpha_2) or country.name))
    return tuple(sorted(pairs, key=lambda p: _sort_key(p[1])))


def country_name(code: str, locale: str) -> str:
    return Locale.parse(locale).territories.get(code) or code


def _sort_key(name: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
