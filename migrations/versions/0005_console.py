"""console: folded search text, one group message per form, walk-ins matched by hand

Revision ID: 0005_console
Revises: 0005_api
Create Date: 2026-12-01 12:00:00

- registrations.search_text: names, email and organisation folded (case and accents removed)
  so "nunez" finds "Ñúñez" and the other way round, with the same LIKE on SQLite and
  PostgreSQL; filled here for existing rows, then by the model on every write;
- group_messages.submission_key: a message form posted twice sends one message;
- walk_ins.matched_registration_id: the registration an organiser matched a walk-in to.
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0005_console"
down_revision = "0005_api"
branch_labels = None
depends_on = None

# A frozen copy of panel_app.models.folding.fold as it was when this revision was written, so
# the revision gives the same result whatever later becomes of the app's code.
_EXTRA = str.maketrans({
    "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ŀ": "l", "ħ": "h", "ı": "i", "ŧ": "t",
    "æ": "ae", "œ": "oe", "þ": "th", "ƒ": "f",
})


def _fold(text):
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.translate(_EXTRA))


# Every change here, both ways, is ADD/DROP COLUMN or CREATE/DROP INDEX, done in place. Anything that
# makes batch mode copy a table (a constraint, a changed default) would drop and re-create it,
# and with foreign keys on, dropping `registrations`, `group_messages` or `walk_ins` would
# cascade into the rows that point at them (notifications, attendance sessions).


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))

    connection = op.get_bind()
    registrations = sa.table(
        "registrations", sa.column("id", sa.Integer), sa.column("first_name", sa.String),
        sa.column("last_name", sa.String), sa.column("email", sa.String), sa.column("organisation", sa.String),
        sa.column("search_text", sa.Text),
    )
    last_id = 0
    while True:  # in batches, so a large table never sits in memory at once
        rows = connection.execute(
            sa.select(registrations.c.id, registrations.c.first_name, registrations.c.last_name,
                      registrations.c.email, registrations.c.organisation)
            .where(registrations.c.id > last_id).order_by(registrations.c.id).limit(1000)
        ).all()
        if not rows:
            break
        connection.execute(
            registrations.update().where(registrations.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("text")),
            [{"row_id": row.id, "text": "\n".join(_fold(value) for value in row[1:])} for row in rows],
        )
        last_id = rows[-1].id

    with op.batch_alter_table("group_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_group_messages_submission_key"), ["submission_key"], unique=True)

    with op.batch_alter_table("walk_ins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_registration_id", sa.Integer(), nullable=True))


def _drop_column(table, column):
    """DROP COLUMN in place on SQLite 3.35+ and PostgreSQL (batch mode would copy the table: see above)."""
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def downgrade():
    _drop_column("walk_ins", "matched_registration_id")
    op.drop_index(op.f("ix_group_messages_submission_key"), table_name="group_messages")
    _drop_column("group_messages", "submission_key")
    _drop_column("registrations", "search_text")
