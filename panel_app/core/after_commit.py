"""Run callbacks only once the current transaction has committed.

Services call `after_commit(session, fn, *args)` to enqueue jobs or send notifications; if
the transaction rolls back, the callbacks are dropped, so no job ever refers to a row that
does not exist. Callbacks get plain ids, never ORM objects, and must not use the session
themselves (they run inside SQLAlchemy's after_commit hook): enqueueing a job is the
intended use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "panel_app.after_commit"


def after_commit(session: Session, fn: Callable[..., Any], *args: Any, once: bool = False, **kwargs: Any) -> None:
    """Schedule `fn(*args, **kwargs)` to run after `session` commits.

    With `once=True` the call is dropped when the same callback with the same arguments is
    already scheduled in this transaction (e.g. one delivery job per registrant, however many
    messages a transaction queues for them).
    """
    pending = session.info.setdefault(_KEY, [])
    if once and any(f == fn and a == args and k == kwargs for f, a, k in pending):
        return
    pending.append((fn, args, kwargs))


def _run_callbacks(session: Session) -> None:
    callbacks = session.info.pop(_KEY, [])
    for fn, args, kwargs in callbacks:
        try:
            fn(*args, **kwargs)
        except Exception:  # the commit stands; the reconcile sweep picks up what a callback missed
            log.exception("after-commit callback %s failed", getattr(fn, "__name__", fn))


def _drop_callbacks(session: Session) -> None:
    session.info.pop(_KEY, None)


def install(session_factory) -> None:
    """Attach the hooks to a session class or sessionmaker (done once by the app factory)."""
    if not sa.event.contains(session_factory, "after_commit", _run_callbacks):
        sa.event.listen(session_factory, "after_commit", _run_callbacks)
        sa.event.listen(session_factory, "after_soft_rollback", lambda s, prev: _drop_callbacks(s))
