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


def downgrade():
    op.drop_table("identity_settings")
