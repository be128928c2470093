"""Event interpreters and the last Zoom set-up check per event.

Revision ID: 0003_interpreters
Revises: 0002_group_mail
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_interpreters"
down_revision = "0002_group_mail"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_interpreters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("language_a", sa.String(length=8), nullable=False),
        sa.Column("language_b", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("language_a <> language_b", name=op.f("ck_event_interpreters_two_languages")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_interpreters_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_interpreters")),
        sa.UniqueConstraint("event_id", "email_normalized",
                            name=op.f("uq_event_interpreters_event_id_email_normalized")),
    )
    with op.batch_alter_table("event_interpreters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_interpreters_event_id"), ["event_id"], unique=False)

    op.create_table(
        "zoom_setup_checks",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zoom_kind", sa.String(length=16), nullable=False),
        sa.Column("zoom_id", sa.String(length=32), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_zoom_setup_checks_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_zoom_setup_checks")),
    )


def downgrade():
    op.drop_table("zoom_setup_checks")
    with op.batch_alter_table("event_interpreters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_interpreters_event_id"))
    op.drop_table("event_interpreters")
