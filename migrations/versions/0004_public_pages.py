"""Organisation identity settings and event speakers.

Revision ID: 0004_public_pages
Revises: 0004_zoom_behaviour
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_public_pages"
down_revision = "0004_zoom_behaviour"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "identity_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("short_name", sa.String(length=40), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("controller_name", sa.String(length=300), nullable=False),
        sa.Column("controller_address", sa.String(length=1000), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=32), nullable=False),
        sa.Column("logo_digest", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_settings")),
    )
    op.create_table(
        "event_speakers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("function", sa.String(length=300), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_type", sa.String(length=32), nullable=False),
        sa.Column("photo_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('moderator', 'speaker')", name=op.f("ck_event_speakers_known_role")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_speakers_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_speakers")),
    )
    with op.batch_alter_table("event_speakers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_speakers_event_id"), ["event_id"], unique=False)
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details_resent_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.alter_column("translations", server_default=None)


def downgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("translations")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("details_resent_at")
    with op.batch_alter_table("event_speakers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_speakers_event_id"))
    op.drop_table("event_speakers")
    op.drop_table("identity_settings")
