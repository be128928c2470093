"""Console accounts: one rule for the console page and `flask users create` (admin/users/services.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel_app.admin.users import services
from panel_app.models import AuditEntry, User, utcnow


def _accounts(db) -> list[User]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(User).order_by(User.id)))


def test_an_account_is_stored_under_its_normalised_lower_case_address_and_audited(db, make_user):
    admin = make_user("admin")
    user, created = services.create_user(db.session, email="  María-José.Núñez@Parlamento.EXAMPLE ",
                                         password="correct horse battery", role="organiser", actor=admin, now=utcnow())
    db.session.commit()
    assert created and user.email == "maría-josé.núñez@parlamento.example"
    assert user.check_password("correct horse battery") and user.role == "organiser"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert (entry.user_id, entry.details) == (admin.id, {"email": user.email, "role": "organiser"})


def test_signing_in_finds_the_account_whatever_the_case_of_the_address(db):
    services.create_user(db.session, email="Zoë.Ndiaye@Assemblee.example", password="a long enough password",
                         role="viewer", actor="cli", now=utcnow())
    db.session.commit()
    assert services.account_email(" ZOË.NDIAYE@assemblee.EXAMPLE") == "zoë.ndiaye@assemblee.example"
    assert services.account_email("not an address") == "not an address"  # finds no account, raises nothing


@pytest.mark.parametrize(
    "email, password, role, code",
    [
        ("nobody", "a long enough password", "viewer", "email"),
        ("ok@ipu.example.org", "11 chars ok", "viewer", "password"),
        ("ok@ipu.example.org", "x" * 1001, "viewer", "password"),
        ("ok@ipu.example.org", "a long enough password", "god", "role"),
    ],
)
def test_bad_account_values_are_refused_with_a_reason_and_nothing_is_stored(db, email, password, role, code):
    with pytest.raises(services.AccountError) as refused:
        services.create_user(db.session, email=email, password=password, role=role, actor="cli", now=utcnow())
    db.session.rollback()
    assert refused.value.code == code
    assert _accounts(db) == []


def test_a_taken_address_is_refused_unless_the_caller_resets_it(db, make_user):
    existing = make_user("viewer", email="amina.diallo@assemblee.example")
    with pytest.raises(services.AccountError) as refused:
        services.create_user(db.session, email="Amina.Diallo@assemblee.example", password="a long enough password",
                             role="admin", actor="cli", now=utcnow())
    db.session.rollback()
    assert refused.value.code == "taken"
    user, created = services.create_user(db.session, email="Amina.Diallo@assemblee.example",
                                         password="another long password", role="admin", actor="cli", now=utcnow(),
                                         replace_existing=True)
    db.session.commit()
    assert not created and user.id == existing.id
    [account] = _accounts(db)
    assert account.role == "admin" and account.check_password("another long password")
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.actor == "cli")) == "user.reset"


def test_console_and_command_line_store_the_same_address(signed_in, post, db, app):
    admin, _ = signed_in("admin")
    post(admin, "/admin/users", {"email": "Kofi.Mensah@Parliament.example", "password": "a long enough password",
                                 "role": "viewer"}, form_url="/admin/users")
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "KOFI.MENSAH@parliament.example",
                                                "--password", "a new long password", "--role", "organiser"])
    assert result.exit_code == 0 and "Updated organiser kofi.mensah@parliament.example" in result.output
    emails = [u.email for u in _accounts(db) if "kofi" in u.email]
    assert emails == ["kofi.mensah@parliament.example"]


def test_the_console_refuses_a_short_password_with_the_rule(signed_in, post, db):
    admin, _ = signed_in("admin")
    response = post(admin, "/admin/users", {"email": "short@ipu.example.org", "password": "11 chars ok",
                                            "role": "viewer"}, form_url="/admin/users")
    assert response.status_code == 422 and "Use 12 to 1000 characters." in response.get_data(as_text=True)
    assert [u.email for u in _accounts(db) if u.email.startswith("short")] == []
