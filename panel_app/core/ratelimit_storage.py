"""Rate-limit counters in an SQLite file, shared by every process of one machine.

The `limits` library (behind Flask-Limiter) keeps counters in Redis, Memcached, MongoDB or
process memory. Process memory is wrong for the embedded default: gunicorn runs several
worker processes and each would count on its own, letting N times the configured limit
through. This storage keeps the counters in a small SQLite file in the instance folder
instead (WAL mode, one statement per increment, so concurrent processes and threads count
together), and registers itself for `sqlite:///<path>` storage URIs, the way the library's
own storages do (limits documentation, "Storage backends" and "Custom storage":
https://limits.readthedocs.io/en/stable/storage.html).

It supports the fixed-window strategy (Flask-Limiter's default, the one this app uses) and
the moving-window strategy. With `REDIS_URL` set the app uses Redis instead, which also
spans several machines.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from limits.storage import MovingWindowSupport, Storage

#: How often (seconds) a process sweeps expired counters and window entries out of the file.
SWEEP_INTERVAL = 60.0

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters ("
    " key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS window_entries (key TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_window_entries_key_at ON window_entries (key, at)",
)

# One statement, so SQLite's write lock makes it atomic across processes: a counter whose
# window has ended starts again at `amount` with a new expiry, else it grows by `amount`.
_INCREMENT = """
INSERT INTO counters (key, value, expires_at) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
    value = CASE WHEN counters.expires_at <= :now THEN :amount ELSE counters.value + :amount END,
    expires_at = CASE WHEN counters.expires_at <= :now THEN :now + :expiry ELSE counters.expires_at END
RETURNING value
"""


def path_from_uri(uri: str) -> Path:
    """The file of an `sqlite:///relative/path` or `sqlite:////absolute/path` URI (SQLAlchemy's form)."""
    parts = urlsplit(uri)
    if parts.scheme != "sqlite" or parts.netloc or not parts.path.startswith("/") or parts.path == "/":
        raise ValueError(f"expected sqlite:///<file>, got {uri!r}")
    return Path(parts.path[1:])


class SQLiteStorage(Storage, MovingWindowSupport):
    """`limits` storage on an SQLite file: `sqlite:////srv/panel/instance/ratelimit.sqlite3`.

    Options (in the URI's query string or as keyword arguments): `timeout` (seconds a writer
    waits for the file's lock, default 5). `clock` (keyword only) replaces `time.time`, for tests.
    """

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *,
                 clock: Callable[[], float] = time.time, **options):
        if not uri:
            raise ValueError("SQLiteStorage needs a URI: sqlite:///<file>")
        query = parse_qs(urlsplit(uri).query)
        self.path = path_from_uri(uri.split("?", 1)[0])
        self.timeout = float(options.get("timeout") or (query.get("timeout") or [5])[0])
        self.clock = clock
        self._local = threading.local()
        self._swept_at = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection()  # create the file and tables now: a bad path fails at start-up

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection; a new one after a fork (a connection must not cross processes)."""
        pid = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != pid:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            # WAL: readers never wait for the writer; NORMAL sync is safe in WAL mode and a lost
            # counter after a power cut costs nothing. https://www.sqlite.org/wal.html
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            for statement in _SCHEMA:
                conn.execute(statement)
            self._local.conn, self._local.pid = conn, pid
        return conn

    def _sweep(self, conn: sqlite3.Connection, now: float) -> None:
        """Drop expired rows now and then, so the file stays small."""
        if now - self._swept_at < SWEEP_INTERVAL:
            return
        self._swept_at = now
        conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        # Moving windows are at most a day long in practice; older entries can never count again.
        conn.execute("DELETE FROM window_entries WHERE at <= ?", (now - 86_400,))

    # --- fixed window -------------------------------------------------------------------

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        conn = self._connection()
        now = self.clock()
        value = conn.execute(_INCREMENT, {"key": key, "amount": amount, "now": now, "expiry": expiry}).fetchone()[0]
        self._sweep(conn, now)
        return int(value)

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, self.clock())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = self.clock()
        row = self._connection().execute(
            "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now)).fetchone()
        return float(row[0]) if row else now

    # --- moving window ------------------------------------------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        conn = self._connection()
        now = self.clock()
        # BEGIN IMMEDIATE takes the write lock before counting, so two processes cannot
        # both see room for the last entry.
        conn.execute("BEGIN IMMEDIATE")
        try:
            taken = conn.execute("SELECT count(*) FROM window_entries WHERE key = ? AND at > ?",
                                 (key, now - expiry)).fetchone()[0]
            if taken + amount > limit:
                conn.execute("ROLLBACK")
                return False
            conn.executemany("INSERT INTO window_entries (key, at) VALUES (?, ?)", [(key, now)] * amount)
            conn.execute("DELETE FROM window_entries WHERE key = ? AND at <= ?", (key, now - expiry))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._sweep(conn, now)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = self.clock()
        oldest, count = self._connection().execute(
            "SELECT min(at), count(*) FROM window_entries WHERE key = ? AND at > ?", (key, now - expiry)).fetchone()
        return (float(oldest), int(count)) if count else (now, 0)

    # --- housekeeping -------------------------------------------------------------------

    def clear(self, key: str) -> None:
        conn = self._connection()
        conn.execute("DELETE FROM counters WHERE key = ?", (key,))
        conn.execute("DELETE FROM window_entries WHERE key = ?", (key,))

    def reset(self) -> int | None:
        conn = self._connection()
        removed = conn.execute("DELETE FROM counters").rowcount
        removed += conn.execute("DELETE FROM window_entries").rowcount
        return removed

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True
