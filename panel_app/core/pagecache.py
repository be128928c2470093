"""Memo of rendered public pages, keyed by every input of the render.

The event page and the empty registration form are the hottest pages of a registration
burst, and Jinja/WTForms rendering is most of their cost. Their HTML is a pure function of
a few inputs: the event's displayed columns, the registration window and seat state at this
instant, the page language, the request path and query string (the language switcher keeps
the query), the application root, and the form's organisation list. The views compute
those inputs with one cheap query on every request and look the page up by them, so a
change to the event, a seat taken or a window boundary passing is visible at once: there
is no expiry and nothing stale to wait for, in any process.

What is never cached: pages with flashed messages (those are personal and consumed on
display), anything submitted, and CSRF tokens. A form page is stored split around its
token, and each hit is given a freshly generated one (see `render_with_token`).

The memo is process-local and bounded (least recently used entries go first); it holds no
state another process needs, so several web processes stay consistent.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable

from flask import current_app, render_template, session
from flask.signals import before_render_template, template_rendered

#: Enough for every event x language x a few query strings; each entry is ~10-30 kB.
MAX_ENTRIES = 512


class PageCache:
    """A thread-safe bounded LRU mapping a render key to the rendered HTML (or its parts)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def cacheable_request() -> bool:
    """False when the page would show this visitor's flashed messages (never shared)."""
    # Reading the session here also marks it accessed, as rendering base.html does, so
    # the response's Vary: Cookie is the same for a hit and a miss.
    return "_flashes" not in session


def _replay_render_effects(template_name: str, context: dict) -> None:
    """What `render_template` does besides rendering, for a page served from the memo.

    Context processors run (they load the signed-in user, as a rendered page would) and
    the template signals fire, so a hit is indistinguishable from a render for the rest of
    the app.
    """
    app = current_app._get_current_object()
    context = dict(context)
    app.update_template_context(context)
    if before_render_template.receivers or template_rendered.receivers:
        template = app.jinja_env.get_or_select_template(template_name)
        before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
        template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)


Context = Callable[[], tuple[dict, bool]]


def render_cached(cache: PageCache, key: Hashable, template_name: str, context: Context) -> str:
    """`render_template(template_name, **context)`, memoised under `key`.

    `context()` answers the template context and whether it still matches `key` (data can
    change between building the key and loading the objects; such a page is not kept). It
    is only called on a miss, so building it (ORM loads, forms) is skipped on a hit.
    """
    html = cache.get(key)
    if html is not None:
        _replay_render_effects(template_name, {})
        return html
    values, matches_key = context()
    html = render_template(template_name, **values)
    if matches_key:
        cache.put(key, html)
    return html


def render_with_token(cache: PageCache, key: Hashable, template_name: str, context: Context, token: Callable[[], str]) -> str:
    """Like `render_cached` for a page holding exactly one CSRF token.

    The memo keeps the HTML before and after the token; every response gets the token
    `token()` generates for this visitor (with the session side effects that has), so no
    visitor ever sees another's token.
    """
    parts = cache.get(key)
    if parts is not None:
        _replay_render_effects(template_name, {})
        before, after = parts
        return before + token() + after
    values, matches_key = context()
    html = render_template(template_name, **values)
    current = token()  # the token the form just rendered (generated once per request)
    pieces = html.split(current)
    if matches_key and current and len(pieces) == 2:
        cache.put(key, (pieces[0], pieces[1]))
    return html
