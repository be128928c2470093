"""The API's resources and inputs as marshmallow schemas: they check what comes in, shape what
goes out, and are the one source of the OpenAPI description (flask-smorest/apispec).

Inputs refuse unknown fields and wrong types (marshmallow's RAISE, strict numbers and
booleans); text goes through the forms' own cleaning rules (`fields.CleanText`). Outputs
are closed objects (additionalProperties: false), so a client can rely on every member.
Instants are UTC ("...Z"); resources that carry them also give the event's IANA zone.

A little over the ~350-line guide on purpose: one declarative schema per resource and input,
side by side, is how the API's whole surface reads at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass

import marshmallow as ma
from marshmallow import fields, validate

from panel_app.api import fields as api_fields
from panel_app.api.fields import Choice, CleanText, Instant
from panel_app.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from panel_app.core.languages import CODES
from panel_app.models import (
    AffiliationType,
    ApprovalMode,
    Event,
    EventStatus,
    ParticipantRole,
    RegistrationStatus,
    SyncState,
)
from panel_app.registration import validation
from panel_app.registration.countries import country_codes
from panel_app.registration.forms import SALUTATIONS

STATUSES = tuple(s.value for s in RegistrationStatus)
AFFILIATIONS = tuple(a.value for a in AffiliationType)
ROLES = tuple(r.value for r in ParticipantRole)
SYNC_STATES = tuple(s.value for s in SyncState)


class StrictBoolean(fields.Boolean):
    """true or false, nothing else ("yes" or 1 are refused, not guessed)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class LocalInstant(fields.DateTime):
    """An instant read from `attribute`, written with the event's UTC offset for that date."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", dump_only=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.astimezone(obj.zone).isoformat()


class Output(ma.Schema):
    """Base of resources: every member always present (closed objects)."""

    class Meta:
        unknown = ma.RAISE


# --- Events ------------------------------------------------------------------------------

class TranslationSchema(ma.Schema):
    title = CleanText(max_length=300, allow_none=True)
    description = CleanText(max_length=20_000, multiline=True, allow_none=True)
    audience = CleanText(max_length=5_000, multiline=True, allow_none=True)


def _translations(**kwargs):
    return fields.Dict(keys=Choice(CODES), values=fields.Nested(TranslationSchema), **kwargs)


class EventSchema(Output):
    slug = fields.String(required=True, metadata={"example": "parliamentary-solidarity"})
    title = fields.String(required=True)
    description = fields.String(required=True)
    audience = fields.String(required=True)
    translations = _translations(required=True, metadata={"description": "Titles and texts per language."})
    starts_at = Instant(required=True, metadata={"example": "2026-09-26T13:00:00Z"})
    ends_at = Instant(required=True)
    timezone = fields.String(required=True, metadata={"description": "IANA zone the event is announced in.",
                                                      "example": "Europe/Zurich"})
    starts_at_local = LocalInstant(attribute="starts_at", required=True,
                                   metadata={"description": "The start in the event's zone, with that date's offset.",
                                             "example": "2026-09-26T15:00:00+02:00"})
    ends_at_local = LocalInstant(attribute="ends_at", required=True)
    languages = fields.List(Choice(CODES), required=True, metadata={"description": "Interpretation channels."})
    capacity = fields.Integer(allow_none=True, required=True, metadata={"description": "null: no limit."})
    registration_opens_at = Instant(allow_none=True, required=True)
    registration_closes_at = Instant(allow_none=True, required=True)
    approval_mode = Choice([m.value for m in ApprovalMode], required=True)
    status = Choice([s.value for s in EventStatus], required=True)
    zoom_meeting_id = fields.String(allow_none=True, required=True)
    zoom_webinar_id = fields.String(allow_none=True, required=True)
    join_url = fields.String(allow_none=True, required=True)
    organiser_name = fields.String(allow_none=True, required=True)
    organiser_email = fields.String(allow_none=True, required=True)
    eligible_affiliations = fields.List(Choice([a.value for a in AffiliationType]), required=True, metadata={
        "description": "Who may register, by affiliation (empty: anyone); others wait for approval."})
    eligible_roles = fields.List(Choice([r.value for r in ParticipantRole]), required=True, metadata={
        "description": "Who may register, by role (empty: any); others wait for approval."})
    directory_only = fields.Boolean(required=True, metadata={
        "description": "Registrations from organisations outside the directory wait for approval."})
    invitation_only = fields.Boolean(required=True, metadata={
        "description": "Registration only through a parliament's own invitation link."})
    registrations = fields.Dict(keys=Choice(STATUSES), values=fields.Integer(), required=True,
                                metadata={"description": "Registrations per status."})
    free_seats = fields.Integer(allow_none=True, required=True, metadata={"description": "null: no limit."})
    created_at = Instant(required=True)
    updated_at = Instant(required=True)


@dataclass
class EventView:
    """An event with the figures its resource shows (computed for a whole page at once)."""

    event: Event
    registrations: dict
    free_seats: int | None

    def __getattr__(self, name):
        return getattr(self.event, name)


def _zoom_id(**kwargs):
    return fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{9,15}$"),
                         metadata={"description": "Digits only.", "pattern": "^[0-9]{9,15}$"}, **kwargs)


class EventUpdateSchema(ma.Schema):
    """Changes to an event; absent members stay as they are. Publish and cancel are actions."""

    slug = fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "description": "Fixed once published."})
    title = CleanText(max_length=300, required_text=True)
    description = CleanText(max_length=20_000, multiline=True)
    audience = CleanText(max_length=5_000, multiline=True)
    translations = _translations()
    starts_at = Instant()
    ends_at = Instant()
    timezone = fields.String(validate=validate.Length(min=1, max=64), metadata={"example": "Europe/Zurich"})
    languages = fields.List(Choice(CODES), validate=validate.Length(min=1, max=len(CODES)))
    capacity = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    registration_opens_at = Instant(allow_none=True)
    registration_closes_at = Instant(allow_none=True)
    approval_mode = Choice([m.value for m in ApprovalMode])
    zoom_meeting_id = _zoom_id()
    zoom_webinar_id = _zoom_id()
    join_url = fields.String(allow_none=True, validate=[validate.Length(max=1000),
                                                        validate.URL(schemes={"https", "http"})])
    organiser_name = CleanText(max_length=200, allow_none=True)
    organiser_email = api_fields.Email(allow_none=True)
    eligible_affiliations = fields.List(Choice([a.value for a in AffiliationType]),
                                        validate=validate.Length(max=len(AffiliationType)))
    eligible_roles = fields.List(Choice([r.value for r in ParticipantRole]),
                                 validate=validate.Length(max=len(ParticipantRole)))
    directory_only = fields.Boolean()
    invitation_only = fields.Boolean()


class EventCreateSchema(EventUpdateSchema):
    slug = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "example": "parliamentary-solidarity"})
    title = CleanText(max_length=300, required_text=True, required=True)
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    status = Choice(["draft", "published"], load_default="draft",
                    metadata={"description": "Publish at once, or keep as a draft (publish later)."})


class EventListArgs(ma.Schema):
    status = Choice([s.value for s in EventStatus])
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(max=2000))


class EventPageSchema(Output):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True,
                                metadata={"description": "Pass as `cursor` for the next page; null on the last."})


# --- Registrations -----------------------------------------------------------------------

class RegistrationSchema(Output):
    id = fields.Integer(required=True)
    event = fields.String(attribute="event.slug", required=True, metadata={"description": "The event's slug."})
    timezone = fields.String(attribute="event.timezone", required=True, metadata={"description": "The event's zone."})
    status = Choice(STATUSES, required=True)
    salutation = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    email = fields.String(required=True)
    country = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2."})
    organisation = fields.String(required=True)
    affiliation_type = Choice(AFFILIATIONS, required=True)
    role = Choice(ROLES, required=True)
    committees = fields.String(required=True)
    language = Choice(CODES, required=True, metadata={"description": "Interpretation channel."})
    email_language = Choice(CODES, allow_none=True, required=True,
                            metadata={"description": "Language of emails when it differs from the channel."})
    accessibility_needs = fields.String(required=True)
    created_at = Instant(required=True)
    updated_at = Instant(required=True)
    status_changed_at = Instant(required=True)
    cancelled_at = Instant(allow_none=True, required=True)
    invite_state = Choice(SYNC_STATES, required=True, metadata={"description": "The invitation email."})
    zoom_state = Choice(SYNC_STATES, required=True, metadata={"description": "The Zoom registrant."})
    attended = fields.Boolean(allow_none=True, required=True, metadata={"description": "null: not known yet."})
    first_joined_at = Instant(allow_none=True, required=True)
    attended_minutes = fields.Integer(allow_none=True, required=True)
    attendance_source = Choice(["zoom", "manual"], allow_none=True, required=True)


class RegistrationCreateSchema(ma.Schema):
    """Someone registered on their behalf by an integration (e.g. a parliament's CRM)."""

    first_name = CleanText(max_length=validation.NAME_MAX, required_text=True, required=True)
    last_name = CleanText(max_length=validation.NAME_MAX, required_text=True, required=True)
    email = api_fields.Email(required=True)
    country = Choice(sorted(country_codes()), required=True, metadata={"description": "ISO 3166-1 alpha-2."})
    affiliation_type = Choice(AFFILIATIONS, required=True)
    role = Choice(ROLES, required=True)
    language = Choice(CODES, required=True, metadata={"description": "Interpretation channel (among the event's)."})
    email_language = Choice(CODES, allow_none=True, load_default=None)
    salutation = Choice(SALUTATIONS, load_default="")
    organisation = CleanText(max_length=validation.TEXT_MAX, load_default="")
    committees = CleanText(max_length=500, load_default="")
    accessibility_needs = CleanText(max_length=validation.LONG_TEXT_MAX, multiline=True, load_default="")


class RegistrationUpdateSchema(ma.Schema):
    """A change of status, interpretation channel or email language (absent members stay)."""

    status = Choice(["confirmed", "declined", "cancelled"],
                    metadata={"description": "confirmed approves a pending registration (waitlisted when the event "
                                             "is full) or moves up the first person waiting when a seat is free; "
                                             "declined declines a pending or waitlisted one; cancelled cancels."})
    language = Choice(CODES, metadata={"description": "Interpretation channel (among the event's)."})
    email_language = Choice(CODES, allow_none=True)


class RegistrationListArgs(ma.Schema):
    """The console's list filters, sorting and a cursor."""

    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Words in names, email, "
                                                                                  "organisation."})
    status = Choice(STATUSES)
    affiliation_type = Choice(AFFILIATIONS)
    role = Choice(ROLES)
    language = Choice(CODES)
    country = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$"), metadata={"pattern": "^[A-Za-z]{2}$"})
    zoom_state = Choice(SYNC_STATES)
    invite_state = Choice(SYNC_STATES)
    attended = Choice(["yes", "no", "unknown"])
    sort = Choice(["created", "name", "email", "organisation", "country", "status", "language", "minutes"],
                  load_default="created")
    dir = Choice(["asc", "desc"], load_default="desc")
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(max=2000))


class RegistrationPageSchema(Output):
    items = fields.List(fields.Nested(RegistrationSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    total = fields.Integer(required=True, metadata={"description": "Rows matching the filters."})


# --- Attendance --------------------------------------------------------------------------

class StaySchema(Output):
    joined_at = Instant(required=True)
    left_at = Instant(required=True)


class AttendanceSchema(Output):
    registration_id = fields.Integer(required=True)
    event = fields.String(required=True)
    timezone = fields.String(required=True)
    attended = fields.Boolean(allow_none=True, required=True, metadata={"description": "null: not known yet."})
    first_joined_at = Instant(allow_none=True, required=True)
    attended_minutes = fields.Integer(allow_none=True, required=True)
    source = Choice(["zoom", "manual"], allow_none=True, required=True)
    stays = fields.List(fields.Nested(StaySchema), required=True, metadata={"description": "Merged stays in the "
                                                                                            "meeting."})


class AttendanceMarkSchema(ma.Schema):
    attended = StrictBoolean(required=True, metadata={"description": "An organiser's own record; Zoom imports "
                                                                     "leave it alone."})


class WalkInSchema(Output):
    id = fields.Integer(required=True)
    event = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    first_joined_at = Instant(allow_none=True, required=True)
    attended_minutes = fields.Integer(required=True)


class PageArgs(ma.Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(max=2000))


class WalkInPageSchema(Output):
    items = fields.List(fields.Nested(WalkInSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# --- Directory ---------------------------------------------------------------------------

class OrganisationSchema(Output):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    translations = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                               metadata={"description": "The name per language."})
    country = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2; empty for international "
                                                                    "bodies."})
    affiliation_type = Choice(AFFILIATIONS, required=True)
    active = fields.Boolean(required=True)


class DirectoryArgs(PageArgs):
    country = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$"), metadata={"pattern": "^[A-Za-z]{2}$"})
    affiliation_type = Choice(AFFILIATIONS)
    active = fields.Boolean()


class OrganisationPageSchema(Output):
    items = fields.List(fields.Nested(OrganisationSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CoverageRowSchema(Output):
    organisation = fields.Nested(OrganisationSchema, required=True)
    registered = fields.Integer(required=True, metadata={"description": "Registrations pending, confirmed or "
                                                                        "waiting."})
    confirmed = fields.Integer(required=True)
    attended = fields.Integer(required=True)


class CoverageSchema(Output):
    event = fields.String(required=True)
    organisations = fields.Integer(required=True, metadata={"description": "Active directory entries."})
    represented = fields.Integer(required=True, metadata={"description": "Of those, with at least one registration."})
    items = fields.List(fields.Nested(CoverageRowSchema), required=True)


# --- Problems (documentation only: `problems.problem_response` writes them) ---------------

class FieldErrorSchema(Output):
    location = Choice(["body", "query", "path", "header"], required=True)
    field = fields.String(required=True, metadata={"description": "Dotted path; empty for the whole body."})
    code = fields.String(required=True, metadata={"example": "unknown_field"})
    detail = fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (extension members may follow)."""

    class Meta:
        unknown = ma.INCLUDE

    type = fields.String(required=True, metadata={"example": "/api/v1/problems/invalid-request"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))
