"""The accounts' own lock-out columns go: failed sign-ins are counted per (email, address) in
`login_throttles` (revision 0004_sessions), and nothing reads `failed_logins`/`locked_until` any more.

Revision ID: 0006_sign_in_throttle
Revises: 0005_console
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_sign_in_throttle"
down_revision = "0005_console"
branch_labels = None
depends_on = None


def upgrade():
    # In place (SQLite 3.35+ and PostgreSQL): batch mode would copy `users`, and with foreign keys
    # on, rows pointing at it with ON DELETE SET NULL (audit entries, group messages) would lose it.
    op.execute("ALTER TABLE users DROP COLUMN failed_logins")
    op.execute("ALTER TABLE users DROP COLUMN locked_until")


def downgrade():
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
