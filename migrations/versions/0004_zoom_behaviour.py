"""Zoom as Zoom behaves: registrant change instants, erasure at Zoom, report import state

Revision ID: 0004_zoom_behaviour
Revises: 0003_interpreters
Create Date: 2026-11-30 20:00:00

- registrations.zoom_changed_at: our last change at Zoom (older notifications are ignored);
- registrations.zoom_erase_requested_at: erased people are deleted at Zoom;
- registrations.zoom_synced_status: Zoom's own vocabulary ("cancel"/"deny" were ours: Zoom lists
  both as "denied");
- zoom_meeting_instances.report_read_at and attendance_imports: the report import is state.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_zoom_behaviour"
down_revision = "0003_interpreters"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("zoom_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("zoom_erase_requested_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE registrations SET zoom_synced_status = 'denied' "
               "WHERE zoom_synced_status IN ('cancel', 'deny')")

    with op.batch_alter_table("zoom_meeting_instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_read_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "attendance_imports",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_attendance_imports_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_attendance_imports")),
    )
    with op.batch_alter_table("attendance_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_imports_state"), ["state"], unique=False)


def downgrade():
    with op.batch_alter_table("attendance_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_imports_state"))
    op.drop_table("attendance_imports")
    with op.batch_alter_table("zoom_meeting_instances", schema=None) as batch_op:
        batch_op.drop_column("report_read_at")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("zoom_erase_requested_at")
        batch_op.drop_column("zoom_changed_at")
