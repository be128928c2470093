"""Small text rules shared by every feature."""

from __future__ import annotations

#: Longest error text kept on a row (`*_last_error` columns): enough to diagnose, bounded
#: so a huge HTML error page from a proxy cannot bloat the table.
ERROR_TEXT_MAX = 2000


def error_text(error: BaseException | str, *, limit: int = ERROR_TEXT_MAX) -> str:
    """`error` as text for a `last_error` column: the message, cut to `limit` characters.

    An exception without a message is named by its type, so the column never ends up empty
    for a failure.
    """
    text = error if isinstance(error, str) else (str(error) or type(error).__name__)
    return text[:limit]
