"""Where the Zoom access token and the account-wide pause live, shared by every process.

Zoom hands out one Server-to-Server OAuth token at a time: asking for a new one can
invalidate the one other processes are using, so the token is cached where every process
sees it and refreshed by one process at a time. Two backends, same behaviour:

- `DatabaseTokenCache` (default): a row in `zoom_api_state`; the refresh holds a row
  lock (an UPDATE first, so SQLite takes its write lock and PostgreSQL locks the row).
- `RedisTokenCache` (when REDIS_URL is set): keys with a TTL and a SET NX lock.

Both refresh a minute before expiry (`margin`) and accept `invalidate(token)` after Zoom
says a token is invalid (code 124) without clobbering a newer token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from panel_app.models.base import utcnow
from panel_app.models.zoom import ZoomApiState

#: fetch() -> (access_token, expires_in_seconds)
Fetch = Callable[[], tuple[str, int]]


def state_key(account_id: str, client_id: str) -> str:
    """Cache key for one Zoom app on one account (hashed: ids are not secrets, but need not show)."""
    return hashlib.sha256(f"{account_id}:{client_id}".encode()).hexdigest()[:32]


class DatabaseTokenCache:
    """Token cache in the `zoom_api_state` table, using its own connections (never the caller's)."""

    def __init__(self, engine: sa.Engine, key: str, *, margin: timedelta = timedelta(minutes=1),
                 clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.key = key
        self.margin = margin
        self.clock = clock
        self.table = ZoomApiState.__table__

    def _valid(self, row) -> bool:
        return bool(row and row.access_token and row.expires_at
                    and _aware(row.expires_at) - self.margin > self.clock())

    def _read(self, conn):
        return conn.execute(sa.select(self.table).where(self.table.c.key == self.key)).first()

    def _ensure_row(self) -> None:
        with self.engine.begin() as conn:
            if self._read(conn) is not None:
                return
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            conn.execute(insert(self.table).values(key=self.key, version=0).on_conflict_do_nothing())

    def get(self, fetch: Fetch) -> str:
        """A token valid for at least `margin`; refreshes (one process at a time) when needed."""
        with self.engine.connect() as conn:
            row = self._read(conn)
        if self._valid(row):
            return row.access_token
        self._ensure_row()
        with self.engine.begin() as conn:
            # The UPDATE is the lock: a second process blocks here until our commit, then
            # finds the fresh token below and does not ask Zoom again.
            conn.execute(sa.update(self.table).where(self.table.c.key == self.key)
                         .values(version=self.table.c.version + 1))
            row = self._read(conn)
            if self._valid(row):
                return row.access_token
            token, expires_in = fetch()
            now = self.clock()
            conn.execute(sa.update(self.table).where(self.table.c.key == self.key).values(
                access_token=token, expires_at=now + timedelta(seconds=int(expires_in)), refreshed_at=now))
        return token

    def invalidate(self, token: str) -> None:
        """Forget `token` (Zoom rejected it), unless another process already replaced it."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(self.table).where(self.table.c.key == self.key,
                                                     self.table.c.access_token == token)
                         .values(expires_at=None))

    def pause(self, until: datetime, reason: str) -> None:
        """Record that Zoom asked us to stop until `until` (daily limit)."""
        self._ensure_row()
        with self.engine.begin() as conn:
            conn.execute(sa.update(self.table).where(self.table.c.key == self.key)
                         .values(paused_until=until, pause_reason=reason))

    def paused_until(self) -> datetime | None:
        """The instant before which no request should be sent, or None."""
        with self.engine.connect() as conn:
            row = self._read(conn)
        if row is None or row.paused_until is None:
            return None
        until = _aware(row.paused_until)
        return until if until > self.clock() else None


class RedisTokenCache:
    """Same contract as `DatabaseTokenCache`, in Redis (for deployments that have it)."""

    def __init__(self, redis_client, key: str, *, prefix: str = "panel:zoom", margin: timedelta = timedelta(minutes=1),
                 clock: Callable[[], datetime] = utcnow, lock_timeout: float = 30.0):
        self.redis = redis_client
        self.prefix = f"{prefix}:{key}"
        self.margin = margin
        self.clock = clock
        self.lock_timeout = lock_timeout

    def _cached(self) -> str | None:
        raw = self.redis.hgetall(f"{self.prefix}:token")
        if not raw:
            return None
        token, expires = raw.get(b"token"), raw.get(b"expires_at")
        if not token or not expires:
            return None
        if float(expires) - self.margin.total_seconds() <= self.clock().timestamp():
            return None
        return token.decode()

    def get(self, fetch: Fetch) -> str:
        token = self._cached()
        if token:
            return token
        lock = self.redis.lock(f"{self.prefix}:refresh-lock", timeout=self.lock_timeout,
                               blocking_timeout=self.lock_timeout)
        if not lock.acquire():
            raise TimeoutError("timed out waiting for another process to refresh the Zoom token")
        try:
            token = self._cached()  # refreshed by whoever held the lock before us
            if token:
                return token
            token, expires_in = fetch()
            expires_at = self.clock().timestamp() + int(expires_in)
            pipe = self.redis.pipeline()
            pipe.hset(f"{self.prefix}:token", mapping={"token": token, "expires_at": str(expires_at)})
            pipe.expire(f"{self.prefix}:token", max(int(expires_in), 1))
            pipe.execute()
            return token
        finally:
            try:
                lock.release()
            except Exception:  # lock expired while fetching; the token is stored anyway
                pass

    def invalidate(self, token: str) -> None:
        script = ("if redis.call('hget', KEYS[1], 'token') == ARGV[1] then "
                  "return redis.call('del', KEYS[1]) else return 0 end")
        self.redis.eval(script, 1, f"{self.prefix}:token", token)

    def pause(self, until: datetime, reason: str) -> None:
        seconds = max(int((until - self.clock()).total_seconds()) + 1, 1)
        self.redis.set(f"{self.prefix}:paused-until", str(until.timestamp()), ex=seconds)

    def paused_until(self) -> datetime | None:
        raw = self.redis.get(f"{self.prefix}:paused-until")
        if not raw:
            return None
        until = datetime.fromtimestamp(float(raw), UTC)
        return until if until > self.clock() else None


def _aware(value: datetime) -> datetime:
    # Core (non-ORM) reads of UTCDateTime columns go through the TypeDecorator too, but be safe.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


