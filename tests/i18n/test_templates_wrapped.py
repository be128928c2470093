"""No template shows English text that bypasses the catalogs.

The catalog test only sees strings wrapped in `_()`. This one looks at what is left of
each template once Jinja expressions, statements, comments and tags are removed: any
remaining words are text a French or Spanish reader would see in English. Attribute texts
people read (aria-label, title, placeholder, alt) are checked the same way.
"""

from __future__ import annotations

import re

import pytest

from config import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"
#: Product names and units that read the same in every language.
SAME_IN_EVERY_LANGUAGE = {"Google Calendar", "Outlook.com", "Microsoft", "Zoom", "min", "CSV", "Excel", "UTC"}

JINJA = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
READ_ATTRIBUTES = re.compile(r'\b(aria-label|title|placeholder|alt)="([^"]*)"', re.I)
TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&[a-zA-Z]+;|&#\d+;")
WORDS = re.compile(r"[A-Za-z][A-Za-z'’.-]+(?:[ \t]+[A-Za-z][A-Za-z'’.-]*)*")  # two letters or more


def _templates():
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})


def bare_text(source: str) -> list[str]:
    """Words a reader would see that do not go through gettext."""
    attributes = [value for _, value in READ_ATTRIBUTES.findall(source) if "{{" not in value]
    text = JINJA.sub("\n", source)
    text = SCRIPT_STYLE.sub("\n", text)
    text = TAG.sub("\n", text)
    text = ENTITY.sub(" ", text)
    found = WORDS.findall(text) + [w for value in attributes for w in WORDS.findall(value)]
    return [w for w in found if w not in SAME_IN_EVERY_LANGUAGE]


def test_the_check_sees_unwrapped_text():
    assert bare_text('<p>{{ _("Fine") }}</p><p>Hello there</p><a aria-label="Close">x</a>') == ["Hello there", "Close"]
    assert bare_text('<p>{{ title }} · {{ _("Edit") }}</p><span title="{{ _(\'Tip\') }}"></span>') == []


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_has_no_untranslated_text(path):
    leftovers = bare_text(path.read_text(encoding="utf-8"))
    assert not leftovers, f"wrap these in {{{{ _('...') }}}} in {path.relative_to(PROJECT_ROOT)}: {leftovers}"
