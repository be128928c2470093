"""Test helpers shared by the public-flow tests (registration, events, error pages)."""

from __future__ import annotations

import re

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(client, url: str) -> str:
    """The session's CSRF token, read from a page that carries a form."""
    match = CSRF_RE.search(client.get(url).get_data(as_text=True))
    assert match, f"{url} has no CSRF token"
    return match.group(1)
