"""follow-up reports: the respondent's function and the time of the latest answers

Revision ID: 0008_followup
Revises: 0007_directory
Create Date: 2026-12-02 00:00:00

- follow_up_reports.submitted_function: who answered is a name (`submitted_by`) and a function;
- follow_up_reports.answered_at: when the answers were last saved (`submitted_at` is the first
  time); `updated_at` also moves when a letter is sent about the report, so it cannot say this.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_followup"
down_revision = "0007_directory"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("follow_up_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_function", sa.String(length=300), server_default="",
                                      nullable=False))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("follow_up_reports", schema=None) as batch_op:
        batch_op.drop_column("answered_at")
        batch_op.drop_column("submitted_function")
