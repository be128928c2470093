"""Console accounts: the one set of rules for creating and changing them.

Used by the console's account page and by `flask users create`, so an account made either
way has the same normalised address and the same password rule. Functions take a session
and plain values, flush, and leave the commit to the caller.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.admin import throttle
from panel_app.audit.services import record
from panel_app.models import User, UserRole
from panel_app.registration.validation import InvalidInput, normalise_email

#: Shortest password accepted for a console account (they reach personal data).
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000


class AccountError(ValueError):
    """An account that cannot be saved; `code` says why: "email" (not an address),
    "password" (length outside the rule), "role" (unknown) or "taken" (address in use)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code


def account_email(text: str) -> str:
    """The form an address is stored and looked up in: normalised, then lower-cased.

    Text that is not an address comes back trimmed and lower-cased, so a sign-in attempt
    with it simply finds no account.
    """
    try:
        return normalise_email(text)[0].lower()
    except InvalidInput:
        return (text or "").strip().lower()


def _checked(email: str, password: str, role: str) -> str:
    """The stored form of `email`, after checking the address, password and role."""
    try:
        address = normalise_email(email)[0].lower()
    except InvalidInput as exc:
        raise AccountError("email", f"{(email or '').strip()!r} is not a valid email address") from exc
    if not MIN_PASSWORD_LENGTH <= len(password or "") <= MAX_PASSWORD_LENGTH:
        raise AccountError("password", f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if role not in {r.value for r in UserRole}:
        raise AccountError("role", f"unknown role {role!r}")
    return address


def create_user(
    session: Session, *, email: str, password: str, role: str, actor: User | str | None,
    ip: str | None = None, now: datetime | None = None, replace_existing: bool = False,
) -> tuple[User, bool]:
    """Create a console account; returns (account, created).

    An address already in use raises AccountError("taken"), unless `replace_existing`: then
    that account gets the new password and role (the command line's "reset"). Recorded in the
    audit log as "user.create" or "user.reset" by `actor`.
    """
    address = _checked(email, password, role)
    user = session.scalar(sa.select(User).where(User.email == address))
    created = user is None
    if not created and not replace_existing:
        raise AccountError("taken", f"an account for {address} already exists")
    if created:
        user = User(email=address)
        session.add(user)
    user.role = role
    user.set_password(password)
    session.flush()
    record(session, "user.create" if created else "user.reset", actor=actor,
           details={"email": address, "role": role}, ip=ip, now=now)
    return user, created


def update_user(
    session: Session, user: User, *, role: str, active: bool, unlock: bool, actor: User, secret_key: str,
    ip: str | None = None, now: datetime,
) -> dict:
    """Change an account's role or access, or forget its failed sign-ins (`unlock`); an admin
    cannot demote or disable themselves."""
    if user.id == actor.id and (role != user.role or not active):
        raise ValueError("self")
    changes = {}
    if role != user.role:
        changes["role"] = {"from": user.role, "to": role}
        user.role = role
    if active != user.active:
        changes["active"] = {"from": user.active, "to": active}
        user.active = active
    if unlock and throttle.clear(session, throttle.account_key(secret_key, user.email)):
        changes["unlocked"] = True
    if changes:
        record(session, "user.edit", actor=actor, details={"email": user.email, **changes}, ip=ip, now=now)
    session.flush()
    return changes


def accounts(session: Session) -> list[User]:
    """Every console account, by address."""
    return list(session.scalars(sa.select(User).order_by(User.email)))


def failed_sign_ins(session: Session, users: list[User], *, secret_key: str, now: datetime) -> dict[int, int]:
    """Recent failed sign-ins per account id (only accounts that have some)."""
    keys = {throttle.account_key(secret_key, user.email): user.id for user in users}
    return {keys[key]: count for key, count in throttle.recent_failures(session, list(keys), now).items()}
