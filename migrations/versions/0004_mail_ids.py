"""random calendar UIDs and Message-IDs; what a "changed" message must say

Calendar UIDs and Message-IDs were built from row numbers alone, so a database restored from
a backup (or a second deployment on the same host name) could give a new registration the
UID of an invite already in someone's calendar, or a new message the Message-ID of one
already delivered (which mail clients then drop as a duplicate). Each row now carries a
random key. Existing rows keep exactly the identifier they were sent with, so updates and
cancellations of invites already out still replace the same calendar entry.

Revision ID: 0004_mail_ids
Revises: 0004_public_pages (chained after the merged public-pages revision)
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_mail_ids"
down_revision = "0004_public_pages"
branch_labels = None
depends_on = None

#: (table, column, the identifier rows already had, as SQL that SQLite and PostgreSQL both run)
_KEYS = [
    ("registrations", "calendar_uid",
     "'registration-' || CAST(id AS VARCHAR) || '.event-' || CAST(event_id AS VARCHAR)"),
    ("events", "calendar_uid", "'event-' || CAST(id AS VARCHAR)"),
    ("notifications", "message_key",
     "'notification-' || CAST(id AS VARCHAR) || '.registration-' || CAST(registration_id AS VARCHAR)"),
]


# Plain ADD/DROP COLUMN, not batch mode: SQLite (3.35+) does both in place, while a batch
# copy of `events` or `registrations` would drop the old table, and with foreign keys on,
# SQLite deletes the rows of every table that cascades from it. The columns stay nullable
# for the same reason (SQLite adds a NOT NULL column only with a server default); every row
# gets a value here and new rows get one from the models.


def upgrade():
    for table, column, legacy in _KEYS:
        op.add_column(table, sa.Column(column, sa.String(length=100), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET {column} = {legacy}"))
    op.add_column("notifications", sa.Column("details", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("notifications", "details")
    for table, column, _ in reversed(_KEYS):
        op.drop_column(table, column)
