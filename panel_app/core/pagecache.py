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

`event_page_state` is the one cheap query that gives the key's database inputs.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

import sqlalchemy as sa
from flask import current_app, render_template, session
from flask.signals import before_render_template, template_rendered

from panel_app.models import SETTINGS_ID, Event, EventSpeaker, IdentitySettings, Registration, RegistrationStatus

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


def render_with_token(
    cache: PageCache, key: Hashable, template_name: str, context: Context, token: Callable[[], str]
) -> str:
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


# --------------------------------------------------------------------------- page state

#: Bumped by every seat allocation but never shown: keeping them out of the key lets a
#: registration burst reuse the pages (the seat state itself is in the key as `full`).
_UNSHOWN_COLUMNS = {"seats_version", "updated_at"}
_SHOWN_COLUMNS = [column for column in Event.__table__.c if column.name not in _UNSHOWN_COLUMNS]
_CONFIRMED_SEATS = (
    sa.select(sa.func.count())
    .select_from(Registration)
    .where(Registration.event_id == Event.id, Registration.status == RegistrationStatus.CONFIRMED)
    .correlate(Event)
    .scalar_subquery()
    .label("seats_taken")
)

#: The console's organisation settings: every public page shows them in its header and footer.
_IDENTITY_VERSION = (
    sa.select(IdentitySettings.version).where(IdentitySettings.id == SETTINGS_ID).scalar_subquery()
    .label("identity_version")
)

#: The event's speakers: how many, and when one last changed (an edit, a removal changes the count).
_SPEAKERS_COUNT = (
    sa.select(sa.func.count()).select_from(EventSpeaker).where(EventSpeaker.event_id == Event.id)
    .correlate(Event).scalar_subquery().label("speakers_count")
)
_SPEAKERS_CHANGED = (
    sa.select(sa.func.max(EventSpeaker.updated_at)).where(EventSpeaker.event_id == Event.id)
    .correlate(Event).scalar_subquery().label("speakers_changed_at")
)


def _hashable(value):
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, (dict, list)) else value


def shown_columns_key(source) -> tuple:
    """The shown columns of an event (ORM object or `event_page_state` row) as a hashable tuple."""
    return tuple(_hashable(getattr(source, column.key)) for column in _SHOWN_COLUMNS)


_autocommit_engines: weakref.WeakKeyDictionary[sa.Engine, sa.Engine] = weakref.WeakKeyDictionary()


def _autocommit(engine: sa.Engine) -> sa.Engine:
    """`engine` (same pool) with connections in autocommit mode while checked out."""
    option_engine = _autocommit_engines.get(engine)
    if option_engine is None:
        option_engine = _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return option_engine


def event_page_state(engine: sa.Engine, slug: str):
    """What the public pages of event `slug` show, in one query: the event's shown columns,
    `seats_taken` (confirmed registrations), `identity_version` (the organisation settings') and
    `speakers_count` / `speakers_changed_at`.
    None when no event has that slug.

    A single read needs no transaction: in autocommit there is no BEGIN before it nor
    ROLLBACK after it (two round trips on PostgreSQL), and a page served from the memo never
    opens the request's session at all.
    """
    with _autocommit(engine).connect() as connection:
        query = sa.select(*_SHOWN_COLUMNS, _CONFIRMED_SEATS, _IDENTITY_VERSION, _SPEAKERS_COUNT, _SPEAKERS_CHANGED)
        query = query.where(Event.slug == slug)
        return connection.execute(query).one_or_none()
