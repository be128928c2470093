"""Sign-in throttle: slows password guessing without letting anyone lock an organiser out.

Failures are counted per (email tried, client address), whether or not the email has an
account, so the answers never tell which addresses have one:

- each address gets `FREE_FAILURES` wrong passwords for an email; then it must wait before
  its next try for that email, 1 minute, then 2, 4, ... up to an hour (the count is
  forgotten 24 hours after the last failure, and a correct password from that address
  clears it);
- when an email collects `ACCOUNT_CEILING` failures within an hour from all addresses
  together (a distributed attack), it is *guarded* for the rest of that hour: every address
  waits after its first failure for that email, not its fifth.

Nobody is ever refused for someone else's failures: an address with no recent failure for
an email (the owner at their desk) always gets its try, and the owner's correct password
passes. An attacker's guesses are bounded by the number of addresses they control, and the
per-address request limit (`RATELIMIT_LOGIN`) applies on top. (OWASP Authentication Cheat
Sheet, "Account Lockout": lockouts let attackers deny service to the account's owner;
https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#account-lockout)

Functions take a session and plain values and flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from panel_app.models.base import UTCDateTime
from panel_app.models.user import LoginThrottle

FREE_FAILURES = 5
FIRST_COOL_DOWN = timedelta(minutes=1)
LONGEST_COOL_DOWN = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=24)
ACCOUNT_CEILING = 30
ACCOUNT_WINDOW = timedelta(hours=1)
#: The `address` of the row counting one email's failures from every address together.
ALL_ADDRESSES = "*"


def account_key(secret: str, email: str) -> str:
    """The throttle's key for an email address (a keyed hash: the table holds no addresses)."""
    return hmac.new(secret.encode(), b"login-throttle\x00" + email.encode(), hashlib.sha256).hexdigest()


def address_key(address: str | None) -> str:
    return (address or "unknown")[:64]


def cool_down(failures: int, *, guarded: bool) -> timedelta:
    """How long an address waits after its latest failure, given how many it has made."""
    free = 1 if guarded else FREE_FAILURES
    if failures < free:
        return timedelta(0)
    return min(FIRST_COOL_DOWN * 2 ** min(failures - free, 20), LONGEST_COOL_DOWN)


def retry_after(session: Session, key: str, address: str, now: datetime) -> timedelta | None:
    """How long `address` must still wait before trying `key` again; None when it may try now."""
    rows = {row.address: row for row in session.scalars(
        sa.select(LoginThrottle).where(LoginThrottle.account_key == key,
                                       LoginThrottle.address.in_((address, ALL_ADDRESSES))))}
    pair = rows.get(address)
    if pair is None or pair.last_failure_at <= now - FORGET_AFTER:
        return None
    total = rows.get(ALL_ADDRESSES)
    guarded = bool(total and total.failures >= ACCOUNT_CEILING and total.first_failure_at > now - ACCOUNT_WINDOW)
    wait = pair.last_failure_at + cool_down(pair.failures, guarded=guarded) - now
    return wait if wait > timedelta(0) else None


def _upsert_failure(session: Session, key: str, address: str, now: datetime, restart_before: datetime,
                    restart_column: str) -> None:
    """Count one failure in the (key, address) row, atomically (no lost increments when two
    processes fail at once); the count restarts when the row's `restart_column` is older
    than `restart_before`."""
    table = LoginThrottle.__table__
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    now_value = sa.bindparam("now", now, type_=UTCDateTime())
    stale = table.c[restart_column] <= sa.bindparam("restart_before", restart_before, type_=UTCDateTime())
    statement = insert.values(account_key=key, address=address, failures=1, first_failure_at=now,
                              last_failure_at=now).on_conflict_do_update(
        index_elements=[table.c.account_key, table.c.address],
        set_={
            "failures": sa.case((stale, 1), else_=table.c.failures + 1),
            "first_failure_at": sa.case((stale, now_value), else_=table.c.first_failure_at),
            "last_failure_at": now_value,
        },
    )
    session.execute(statement)


def record_failure(session: Session, key: str, address: str, now: datetime) -> None:
    """A wrong password (or an unknown or disabled account) from `address` for `key`."""
    _upsert_failure(session, key, address, now, now - FORGET_AFTER, "last_failure_at")
    _upsert_failure(session, key, ALL_ADDRESSES, now, now - ACCOUNT_WINDOW, "first_failure_at")
    # Old rows can never count again: keep the table as small as the attack in progress.
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.last_failure_at <= now - FORGET_AFTER))
    session.flush()


def record_success(session: Session, key: str, address: str) -> None:
    """The right password from `address`: its own failures for `key` are forgotten."""
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.account_key == key,
                                                   LoginThrottle.address == address))
    session.flush()


def clear(session: Session, key: str) -> int:
    """Forget every failure for `key` (an administrator helping someone); returns rows removed."""
    removed = session.execute(sa.delete(LoginThrottle).where(LoginThrottle.account_key == key)).rowcount
    session.flush()
    return removed


def recent_failures(session: Session, keys: list[str], now: datetime) -> dict[str, int]:
    """Failed sign-ins in the last `FORGET_AFTER` for each key, all addresses together (for the
    accounts page); keys without any are left out."""
    if not keys:
        return {}
    rows = session.execute(
        sa.select(LoginThrottle.account_key, sa.func.sum(LoginThrottle.failures))
        .where(LoginThrottle.account_key.in_(keys), LoginThrottle.address != ALL_ADDRESSES,
               LoginThrottle.last_failure_at > now - FORGET_AFTER)
        .group_by(LoginThrottle.account_key))
    return {key: int(total) for key, total in rows}
