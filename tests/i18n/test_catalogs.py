"""The French and Spanish catalogs are complete, well-formed and compiled.

Fails when a developer wraps a new string with `_()` and nobody translates it, when a
translation is still marked fuzzy, when a placeholder is lost in translation, or when the
committed .mo files no longer match their .po sources. `bash scripts/i18n.sh` fixes the
last one; the others need a translator (see the README, "Translations").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "panel_app" / "translations"
LANGUAGES = ("fr", "es")


def _key(message) -> str:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    context = message.context
    if isinstance(context, bytes):  # babel's .mo reader leaves msgctxt undecoded
        context = context.decode("utf-8")
    return f"{context}\x04{msgid}" if context else msgid


def _read_po(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> dict:
    """Every message marked for translation in the code today, extracted afresh."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    result = subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / "i18n.sh"), "extract"],
        env={**os.environ, "POT": str(pot), "PYBABEL": str(pybabel)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with open(pot, "rb") as f:
        catalog = read_po(f)
    return {_key(m): m for m in catalog if m.id}


def _where(message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations[:2])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_in_the_code_has_a_translation(source_messages, lang):
    catalog = _read_po(lang)
    translated = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if all(strings):
            translated[_key(message)] = message
    missing = sorted(set(source_messages) - set(translated))
    report = "\n".join(f"  {msgid!r}  ({_where(source_messages[msgid])})" for msgid in missing)
    assert not missing, (
        f"{len(missing)} message(s) have no {lang} translation (run `bash scripts/i18n.sh update`, "
        f"translate panel_app/translations/{lang}/LC_MESSAGES/messages.po, then `bash scripts/i18n.sh`):\n{report}"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_every_placeholder(lang):
    catalog = _read_po(lang)
    problems = [f"  {_key(message)!r}: {'; '.join(map(str, errors))}" for message, errors in catalog.check()]
    assert not problems, "placeholders differ between msgid and msgstr:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_committed_mo_files_match_their_po_sources(lang):
    mo_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), f"{mo_path} is missing: run `bash scripts/i18n.sh compile`"
    with open(mo_path, "rb") as f:
        # Plural messages: read_mo gives lists, read_po tuples; compare them as tuples.
        compiled = {_key(m): tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string
                    for m in read_mo(f) if m.id}
    expected = {}
    for message in _read_po(lang):
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.id and not message.fuzzy and all(strings):
            expected[_key(message)] = tuple(strings) if isinstance(message.string, (list, tuple)) else message.string
    stale = sorted(k for k in set(expected) | set(compiled) if expected.get(k) != compiled.get(k))
    assert not stale, (
        f"{mo_path.name} for {lang} is stale ({len(stale)} message(s) differ from the .po), "
        f"run `bash scripts/i18n.sh compile`. First: {stale[:5]!r}"
    )
