"""group messages delivered as notification rows

Each recipient's copy of an organiser's group message becomes a `notifications` row (kind
"group_message", pointing at the message; one per message and registration), delivered by
the one mail pipeline. Copies recorded in `group_message_recipients` move there with their
state (pending copies stay pending, so nothing is lost), and that table goes: the console
queues notification rows itself.

Revision ID: 0002_group_mail
Revises: 0001
Create Date: 2026-11-30 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0002_group_mail'
down_revision = '0001'
branch_labels = None
depends_on = None

def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_message_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_group_message_id_group_messages'), 'group_messages',
                                    ['group_message_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_notifications_group_message_id_registration_id'),
                                          ['group_message_id', 'registration_id'])

    # Every recorded copy moves, sent and failed ones too (the console's figures count them);
    # a copy whose registration is gone (event deleted) has nobody left to go to.
    op.execute(sa.text("""
        INSERT INTO notifications (registration_id, kind, group_message_id, state, attempts, next_attempt_at,
                                   last_error, sent_at, created_at)
        SELECT r.registration_id, 'group_message', r.message_id,
               CASE WHEN r.state IN ('sent', 'failed') THEN r.state ELSE 'pending' END,
               r.attempts, m.created_at, r.last_error, r.sent_at, m.created_at
        FROM group_message_recipients r JOIN group_messages m ON m.id = r.message_id
        WHERE r.id IN (SELECT MIN(id) FROM group_message_recipients WHERE registration_id IS NOT NULL
                       GROUP BY message_id, registration_id)
    """))
    with op.batch_alter_table('group_message_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_group_message_recipients_message_state')
    op.drop_table('group_message_recipients')


def downgrade():
    # The table as revision 0001 created it.
    op.create_table(
        'group_message_recipients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('name', sa.String(length=420), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['message_id'], ['group_messages.id'],
                                name=op.f('fk_group_message_recipients_message_id_group_messages'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                                name=op.f('fk_group_message_recipients_registration_id_registrations'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_message_recipients')),
    )
    with op.batch_alter_table('group_message_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_group_message_recipients_message_state', ['message_id', 'state'], unique=False)

    op.execute(sa.text("""
        INSERT INTO group_message_recipients (message_id, registration_id, email, name, state, attempts, last_error,
                                              sent_at)
        SELECT n.group_message_id, n.registration_id, r.email, TRIM(r.first_name || ' ' || r.last_name),
               CASE WHEN n.state IN ('sent', 'failed') THEN n.state WHEN n.state = 'skipped' THEN 'failed'
                    ELSE 'pending' END,
               n.attempts, n.last_error, n.sent_at
        FROM notifications n JOIN registrations r ON r.id = n.registration_id
        WHERE n.group_message_id IS NOT NULL
    """))
    op.execute(sa.text("DELETE FROM notifications WHERE group_message_id IS NOT NULL"))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_notifications_group_message_id_registration_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_notifications_group_message_id_group_messages'), type_='foreignkey')
        batch_op.drop_column('group_message_id')
