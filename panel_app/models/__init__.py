"""All models, imported here so Alembic and the app see one metadata.

One module per aggregate; add an import line when you add a module.
"""

from panel_app.models.api import ApiToken, DeliveryState, TokenScope, WebhookDelivery, WebhookEndpoint, WebhookMessage
from panel_app.models.attendance import AttendanceSession, WalkIn, ZoomMeetingInstance
from panel_app.models.audit import AuditEntry
from panel_app.models.base import Base, UTCDateTime, random_key, utcnow
from panel_app.models.directory import Contact, EventInvitation, FollowUpReport, Outreach, OutreachKind
from panel_app.models.event import ApprovalMode, Event, EventStatus
from panel_app.models.identity import SETTINGS_ID, IdentitySettings
from panel_app.models.interpreter import EventInterpreter
from panel_app.models.message import GroupMessage, MessageState
from panel_app.models.notification import (
    CALENDAR_KINDS,
    CANCEL_KINDS,
    REQUEST_KINDS,
    Notification,
    NotificationKind,
    NotificationState,
)
from panel_app.models.organisation import Organisation
from panel_app.models.privacy import ErasureRecord
from panel_app.models.registration import (
    ACTIVE_STATUSES,
    AffiliationType,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    SyncState,
)
from panel_app.models.speaker import EventSpeaker, SpeakerRole
from panel_app.models.user import User, UserRole
from panel_app.models.zoom import ZoomApiState, ZoomWebhookDelivery
from panel_app.models.zoom_setup import ZoomSetupCheck

__all__ = [
    "ACTIVE_STATUSES",
    "ApiToken",
    "DeliveryState",
    "TokenScope",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
    "CALENDAR_KINDS",
    "Contact",
    "EventInvitation",
    "FollowUpReport",
    "Outreach",
    "OutreachKind",
    "CANCEL_KINDS",
    "AffiliationType",
    "AttendanceSession",
    "AuditEntry",
    "ApprovalMode",
    "Base",
    "Event",
    "EventInterpreter",
    "EventSpeaker",
    "EventStatus",
    "ErasureRecord",
    "GroupMessage",
    "IdentitySettings",
    "MessageState",
    "Notification",
    "NotificationKind",
    "NotificationState",
    "Organisation",
    "ParticipantRole",
    "REQUEST_KINDS",
    "Registration",
    "RegistrationStatus",
    "SETTINGS_ID",
    "SpeakerRole",
    "SyncState",
    "UTCDateTime",
    "User",
    "UserRole",
    "random_key",
    "utcnow",
    "WalkIn",
    "ZoomApiState",
    "ZoomMeetingInstance",
    "ZoomSetupCheck",
    "ZoomWebhookDelivery",
]
