"""directory: contacts, parliaments' invitation links, letters to contacts, follow-up reports,
closed audiences (issue 14)

Revision ID: 0007_directory
Revises: 0006_sign_in_throttle
Create Date: 2026-12-01 00:00:00

- organisations.region; contacts (people at a parliament who receive the organisation's letters);
- event_invitations (one parliament's registration link for one event);
- outreaches (a letter to directory contacts) whose copies are notifications: notifications get
  contact_id and outreach_id, and registration_id may be empty (exactly one recipient is set);
- follow_up_reports (what a parliament did after an event);
- events: eligible_affiliations, eligible_roles, directory_only, invitation_only;
- registrations: organisation_id, invitation_id, review_reasons.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_directory"
down_revision = "0006_sign_in_throttle"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.add_column("organisations", sa.Column("region", sa.String(length=100), server_default="", nullable=False))

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("function", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_contacts_organisation_id_organisations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("organisation_id", "email_normalized",
                            name=op.f("uq_contacts_organisation_id_email_normalized")),
    )
    op.create_index(op.f("ix_contacts_organisation_id"), "contacts", ["organisation_id"], unique=False)

    op.create_table(
        "event_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_invitations_event_id_events"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_event_invitations_organisation_id_organisations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_invitations")),
        sa.UniqueConstraint("event_id", "organisation_id", name=op.f("uq_event_invitations_event_id_organisation_id")),
        sa.UniqueConstraint("token", name=op.f("uq_event_invitations_token")),
    )
    op.create_index(op.f("ix_event_invitations_event_id"), "event_invitations", ["event_id"], unique=False)

    op.create_table(
        "outreaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_outreaches_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_outreaches_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreaches")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_outreaches_submission_key")),
    )
    op.create_index(op.f("ix_outreaches_event_id"), "outreaches", ["event_id"], unique=False)

    op.create_table(
        "follow_up_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_nonce", sa.String(length=64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("requested_at", UTC, nullable=True),
        sa.Column("reminded_at", UTC, nullable=True),
        sa.Column("submitted_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_follow_up_reports_event_id_events"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_follow_up_reports_organisation_id_organisations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_reports")),
        sa.UniqueConstraint("event_id", "organisation_id", name=op.f("uq_follow_up_reports_event_id_organisation_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_follow_up_reports_token_hash")),
    )
    op.create_index(op.f("ix_follow_up_reports_event_id"), "follow_up_reports", ["event_id"], unique=False)

    # `notifications` is copied by batch mode on SQLite (a column becomes nullable, constraints
    # are added); nothing points at it, so the copy loses nothing.
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("registration_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outreach_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notifications_contact_id"), ["contact_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_notifications_contact_id_contacts"), "contacts",
                                    ["contact_id"], ["id"], ondelete="CASCADE")
        batch_op.create_foreign_key(batch_op.f("fk_notifications_outreach_id_outreaches"), "outreaches",
                                    ["outreach_id"], ["id"], ondelete="CASCADE")
        batch_op.create_unique_constraint(batch_op.f("uq_notifications_outreach_id_contact_id"),
                                          ["outreach_id", "contact_id"])
        batch_op.create_check_constraint("one_recipient", "(registration_id IS NULL) <> (contact_id IS NULL)")

    op.add_column("events", sa.Column("eligible_affiliations", sa.JSON(), server_default="[]", nullable=False))
    op.add_column("events", sa.Column("eligible_roles", sa.JSON(), server_default="[]", nullable=False))
    op.add_column("events", sa.Column("directory_only", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("events", sa.Column("invitation_only", sa.Boolean(), server_default=sa.false(), nullable=False))

    # Plain columns, in place (see the model: a constraint would make SQLite copy the table).
    op.add_column("registrations", sa.Column("organisation_id", sa.Integer(), nullable=True))
    op.add_column("registrations", sa.Column("invitation_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_registrations_organisation_id"), "registrations", ["organisation_id"], unique=False)
    op.add_column("registrations", sa.Column("review_reasons", sa.JSON(), server_default="[]", nullable=False))


def _drop_column(table, column):
    """DROP COLUMN in place (SQLite 3.35+ and PostgreSQL): batch mode would copy the table."""
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def downgrade():
    _drop_column("registrations", "review_reasons")
    op.drop_index(op.f("ix_registrations_organisation_id"), table_name="registrations")
    _drop_column("registrations", "invitation_id")
    _drop_column("registrations", "organisation_id")
    for column in ("invitation_only", "directory_only", "eligible_roles", "eligible_affiliations"):
        _drop_column("events", column)

    # Letters to contacts have no registration to fall back to: they go with their tables.
    op.execute("DELETE FROM notifications WHERE registration_id IS NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("one_recipient", type_="check")
        batch_op.drop_constraint(batch_op.f("uq_notifications_outreach_id_contact_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_notifications_outreach_id_outreaches"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_notifications_contact_id_contacts"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notifications_contact_id"))
        batch_op.drop_column("outreach_id")
        batch_op.drop_column("contact_id")
        batch_op.alter_column("registration_id", existing_type=sa.Integer(), nullable=False)

    op.drop_index(op.f("ix_follow_up_reports_event_id"), table_name="follow_up_reports")
    op.drop_table("follow_up_reports")
    op.drop_index(op.f("ix_outreaches_event_id"), table_name="outreaches")
    op.drop_table("outreaches")
    op.drop_index(op.f("ix_event_invitations_event_id"), table_name="event_invitations")
    op.drop_table("event_invitations")
    op.drop_index(op.f("ix_contacts_organisation_id"), table_name="contacts")
    op.drop_table("contacts")
    _drop_column("organisations", "region")
