"""ISO 3166-1 countries, named as the UN and ISO write them, in the reader's language.

Names and their French and Spanish translations come from the iso-codes data that pycountry
ships (`iso3166-1` gettext catalogs). ISO's short names are written for sorted lists
("Korea, Republic of"); the form shows the usual order ("Republic of Korea"), as the UN's
list of member states does:

1. an inverted short name with an official name that is not inverted takes the official
   name, without its article ("Palestine, State of" -> "State of Palestine",
   "Korea, Democratic People's Republic of" -> "Democratic People's Republic of Korea");
2. any name still inverted after translation is turned round when the part after the comma
   ends with a preposition or names a republic ("Russie, Fédération de" -> "Fédération de
   Russie", "Syrienne, République arabe" -> "République arabe syrienne") or is the kind of
   place ("Salomon, Îles" -> "Îles Salomon"); other commas ("Taiwan, Province of China",
   "Bonaire, Sint Eustatius and Saba") are ISO's own and stay.

ISO 3166 country codes and names: https://www.iso.org/iso-3166-country-codes.html
iso-codes (names and translations): https://salsa.debian.org/iso-codes-team/iso-codes
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from functools import lru_cache

import pycountry

#: A tail after the comma that ends with one of these words is put back in front.
_TRAILING_PREPOSITION = re.compile(r"(?:^|\s)(?:of|of the|de|de la|del|du|des|d['’])$", re.IGNORECASE)
#: A tail naming the state, with the country's adjective before the comma.
_STATE_WORDS = ("République", "República", "Republic")
#: A tail naming the kind of place ("Îles", "Islas", "Île").
_PLACE_WORDS = ("Île", "Îles", "Isla", "Islas", "Island", "Islands")
_ARTICLES = ("the ", "The ", "L'", "L’", "La ", "Le ", "El ", "Los ", "Las ")


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@lru_cache(maxsize=8)
def _translations(locale: str) -> gettext.NullTranslations:
    language = locale.split("_")[0]
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def _without_article(name: str) -> str:
    for article in _ARTICLES:
        if name.startswith(article) and len(name) > len(article):
            rest = name[len(article):]
            return rest[0].upper() + rest[1:]
    return name


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _turned_round(name: str) -> str:
    """'Corée, République de' -> 'République de Corée'; names without such a comma unchanged."""
    if name.count(", ") != 1 or "(" in name:
        return name
    head, tail = name.split(", ")
    if _TRAILING_PREPOSITION.search(tail):
        joiner = "" if tail.endswith(("'", "’")) else " "
        return _upper_first(tail) + joiner + head
    first_word = tail.split(" ")[0]
    if first_word in _STATE_WORDS:
        return f"{tail} {head[:1].lower()}{head[1:]}"  # "République arabe syrienne"
    if first_word in _PLACE_WORDS:
        return f"{tail} {head}"
    return name


def _source_name(country) -> str:
    """The English name whose translation is shown (rule 1 of the module docstring)."""
    official = getattr(country, "official_name", None)
    if ", " in country.name and official and ", " not in official:
        return official
    return country.name


@lru_cache(maxsize=2048)
def _display_name(code: str, locale: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    translated = _translations(locale).gettext(_source_name(country))
    return _without_article(_turned_round(_without_article(translated)))


@lru_cache(maxsize=8)
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name) pairs sorted by name as readers of `locale` expect."""
    pairs = [(country.alpha_2, _display_name(country.alpha_2, locale)) for country in pycountry.countries]
    return tuple(sorted(pairs, key=lambda pair: sort_key(pair[1])))


def country_name(code: str, locale: str) -> str:
    return _display_name(code, locale) if code else ""


def sort_key(name: str) -> str:
    """Alphabetical order for English, French and Spanish: accents and case do not count
    ("Égypte" between "Équateur"'s neighbours, "Îles" with the I's)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
