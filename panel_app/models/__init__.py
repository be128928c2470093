"""All models, imported here so Alembic and the app see one metadata.

One module per aggregate; add an import line when you add a module.
"""

from panel_app.models.base import Base, UTCDateTime, utcnow
from panel_app.models.event import ApprovalMode, Event, EventStatus
from panel_app.models.organisation import Organisation
from panel_app.models.registration import (
    ACTIVE_STATUSES,
    AffiliationType,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    SyncState,
)
from panel_app.models.user import User, UserRole

__all__ = [
    "ACTIVE_STATUSES",
    "AffiliationType",
    "ApprovalMode",
    "Base",
    "Event",
    "EventStatus",
    "Organisation",
    "ParticipantRole",
    "Registration",
    "RegistrationStatus",
    "SyncState",
    "UTCDateTime",
    "User",
    "UserRole",
    "utcnow",
]
