"""Models and migrations agree on both databases, and migrations run both ways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


def _differences(engine, metadata) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "target_metadata": metadata})
        return compare_metadata(context, metadata)


def test_models_and_migrations_agree(db):
    """The equivalent of `flask db check`: autogenerate finds nothing to add."""
    assert _differences(db.engine, db.metadata) == []


def test_migrations_downgrade_to_base_and_upgrade_again(db):
    from flask_migrate import downgrade, upgrade

    db.session.remove()
    downgrade(revision="base")
    remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    upgrade()
    # SQLite connections still in the pool may answer PRAGMA index_list from the schema they
    # cached before the tables were re-created; start the following tests on fresh ones.
    db.engine.dispose()
    assert _differences(db.engine, db.metadata) == []


def test_constraint_names_follow_the_naming_convention(db):
    inspector = sa.inspect(db.engine)
    uniques = {c["name"] for c in inspector.get_unique_constraints("registrations")}
    assert "uq_registrations_event_id_email_normalized" in uniques
    foreign = {c["name"] for c in inspector.get_foreign_keys("registrations")}
    assert "fk_registrations_event_id_events" in foreign


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db, app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"] == 30_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_agreement_check_notices_a_model_change(db):
    """Guard for the test above: a column the migrations lack is reported."""
    metadata = sa.MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    sa.Table("events", metadata, sa.Column("not_migrated", sa.Integer), extend_existing=True)
    differences = _differences(db.engine, metadata)
    assert [(d[0], d[3].name) for d in differences if d[0] == "add_column"] == [("add_column", "not_migrated")]


def test_released_revisions_are_never_rewritten():
    """Every revision listed in migrations/released.txt still has the file it was released with."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "migrations"
    released = [line.split() for line in (root / "released.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert released, "migrations/released.txt lists no revision"
    for digest, name in released:
        assert hashlib.sha256((root / "versions" / name).read_bytes()).hexdigest() == digest, (
            f"{name} was rewritten after its release; add a new revision instead")


def test_revisions_form_one_line_of_history():
    """One head and no branch points: each revision builds on the one before."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = Path(__file__).resolve().parent.parent / "migrations"
    config = Config()
    config.set_main_option("script_location", str(root))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1
    assert all(len(script.get_revision(r.revision).nextrev) <= 1 for r in script.walk_revisions())
