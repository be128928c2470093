"""Text folded for searching: case, accents and a few letters without a decomposition.

"Ñúñez-Öztürk" and "nunez-ozturk" fold to the same text, so a search typed on any keyboard
finds a name written with its accents, and the other way round. The registration model
keeps a folded copy of the searchable fields (`Registration.search_text`); the console folds
what the organiser types the same way, so both databases compare plain text with LIKE.
"""

from __future__ import annotations

import unicodedata

#: Latin letters that Unicode does not decompose into a base letter and an accent.
_EXTRA = str.maketrans({
    "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ŀ": "l", "ħ": "h", "ı": "i", "ŧ": "t",
    "æ": "ae", "œ": "oe", "þ": "th", "ƒ": "f",
})


def fold(text: str | None) -> str:
    """`text` case-folded, without accents, in NFC (Hangul and other scripts stay whole)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.translate(_EXTRA))
