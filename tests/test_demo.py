"""`flask demo`: a sample panel with an organiser account of its own, never on production."""

from __future__ import annotations

import re

import sqlalchemy as sa

from panel_app.cli import DEMO_ORGANISER_EMAIL
from panel_app.models import User
from panel_app.organisation.services import identity


def _password(output: str) -> str:
    match = re.search(rf"email {re.escape(DEMO_ORGANISER_EMAIL)}, password (\S+)\)", output)
    assert match, output
    return match.group(1)


def test_demo_creates_an_organiser_not_an_admin_with_a_random_password_it_prints(app, db, client):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    password = _password(result.output)
    [user] = db.session.scalars(sa.select(User)).all()
    assert user.role == "organiser"
    assert len(password) >= 16 and password != "demo-organiser"
    assert user.check_password(password) and not user.check_password("demo-organiser")

    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0 and "password" in again.output and password not in again.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(User)).check_password(password)  # unchanged by the second run


def test_two_demo_installs_get_different_passwords(app, db):
    first = _password(app.test_cli_runner().invoke(args=["demo"]).output)
    db.session.execute(sa.delete(User))
    db.session.commit()
    assert _password(app.test_cli_runner().invoke(args=["demo"]).output) != first


def test_demo_refuses_to_run_in_production(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "PANEL_ENV=production" in result.output
    assert db.session.scalars(sa.select(User)).all() == []


def test_demo_names_the_sample_organisation_in_every_language_unless_one_is_configured(app, db, monkeypatch):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    assert identity(db.session, "fr").name == "Union interparlementaire"
    assert identity(db.session, "es").contact_email == "events@ipu.example.org"
