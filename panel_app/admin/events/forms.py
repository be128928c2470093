"""The event form: local times checked in the event's own zone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp  # "Title" of an event, not a salutation
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from panel_app.core import languages
from panel_app.events import services as event_services
from panel_app.events.timefmt import parse_local
from panel_app.models import ApprovalMode, Event
from panel_app.registration.forms import CleanText, RequiredText

LOCAL_TIME_HINT = _l("Local time of the event's zone, as YYYY-MM-DD HH:MM (24-hour clock).")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _local_time(zone_field: str):
    """Validator: a 'YYYY-MM-DD HH:MM' local time that exists exactly once in the chosen zone."""

    def check(form, field):
        if not field.data:
            return
        zone = getattr(form, zone_field).data
        try:
            event_services.check_timezone(zone)
        except event_services.EventInputError:
            return  # the zone field reports its own error
        text = field.data.strip().replace("T", " ")
        try:
            field.parsed = parse_local(text, zone)
        except ValueError as exc:
            if "does not exist" in str(exc):
                raise ValidationError(
                    _l("This time does not exist in that zone (the clocks go forward then).")
                ) from exc
            if "happens twice" in str(exc):
                raise ValidationError(
                    _l("This time happens twice in that zone (the clocks go back then); choose another.")
                ) from exc
            raise ValidationError(_l("Write the time as YYYY-MM-DD HH:MM, for example 2026-09-26 15:00.")) from exc

    return check


class EventForm(FlaskForm):
    slug = StringField(
        _l("Address (slug)"),
        validators=[InputRequired(message=_l("Enter the address.")), Length(max=100)],
        description=_l("Lower-case letters, digits and hyphens; it becomes /events/<slug>."),
    )
    title = StringField(_lp("event", "Title"), validators=[RequiredText(message=_l("Enter a title.")), CleanText(300)])
    description = TextAreaField(_l("Description"), validators=[CleanText(20_000, multiline=True)])
    audience = TextAreaField(_l("Who may attend"), validators=[CleanText(5_000, multiline=True)])
    timezone = StringField(_l("Time zone"), default="Europe/Zurich", validators=[InputRequired(), Length(max=64)],
                           description=_l("IANA name, e.g. Europe/Zurich or America/New_York."))
    start = StringField(_l("Starts"), validators=[InputRequired(message=_l("Enter the start time.")),
                                                  _local_time("timezone")], description=LOCAL_TIME_HINT)
    end = StringField(_l("Ends"), validators=[InputRequired(message=_l("Enter the end time.")),
                                              _local_time("timezone")], description=LOCAL_TIME_HINT)
    languages = MultiCheckboxField(
        _l("Interpretation languages"),
        choices=[SelectChoice(code, languages.NAMES[code]) for code in event_services.SUPPORTED_LANGUAGES],
        validators=[InputRequired(message=_l("Choose at least one language."))],
    )
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(min=0, max=1_000_000)],
                            description=_l("Leave empty for no limit."))
    approval_mode = SelectField(
        _l("Approval"),
        choices=[SelectChoice(ApprovalMode.AUTO.value, _l("Automatic: confirmed while seats last")),
                 SelectChoice(ApprovalMode.MANUAL.value, _l("Manual: organisers approve each registration"))],
    )
    registration_opens = StringField(_l("Registration opens"), validators=[Optional(), _local_time("timezone")],
                                     description=LOCAL_TIME_HINT)
    registration_closes = StringField(_l("Registration closes"), validators=[Optional(), _local_time("timezone")],
                                      description=LOCAL_TIME_HINT)
    zoom_meeting_id = StringField(_l("Zoom meeting ID"), validators=[Optional(), Length(max=32)])
    zoom_webinar_id = StringField(_l("Zoom webinar ID"), validators=[Optional(), Length(max=32)])
    join_url = StringField(_l("General join link"), validators=[Optional(), Length(max=1000)],
                           description=_l("Given to registrants when Zoom sync is off."))
    organiser_name = StringField(_l("Organiser name"), validators=[Optional(), CleanText(200)])
    organiser_email = StringField(_l("Organiser mailbox"), validators=[
        Optional(), Length(max=320), Email(message=_l("Enter a valid email address."))])

    def validate_timezone(self, field):
        try:
            event_services.check_timezone(field.data.strip())
        except event_services.EventInputError as exc:
            raise ValidationError(_l("Unknown time zone: use an IANA name such as Europe/Zurich.")) from exc

    def validate_join_url(self, field):
        if field.data and not field.data.startswith(("https://", "http://")):
            raise ValidationError(_l("The join link must start with https://."))

    def validate_zoom_meeting_id(self, field):
        if field.data and not field.data.replace(" ", "").isdigit():
            raise ValidationError(_l("A Zoom ID is made of digits."))

    validate_zoom_webinar_id = validate_zoom_meeting_id

    def to_input(self, status: str) -> event_services.EventInput:
        def parsed(field):
            return getattr(field, "parsed", None) if field.data else None

        return event_services.EventInput(
            slug=self.slug.data.strip(),
            title=self.title.data,
            starts_at=parsed(self.start),
            ends_at=parsed(self.end),
            timezone=self.timezone.data.strip(),
            languages=list(self.languages.data),
            description=self.description.data or "",
            audience=self.audience.data or "",
            capacity=self.capacity.data,
            approval_mode=self.approval_mode.data,
            status=status,
            registration_opens_at=parsed(self.registration_opens),
            registration_closes_at=parsed(self.registration_closes),
            zoom_meeting_id=(self.zoom_meeting_id.data or "").replace(" ", "") or None,
            zoom_webinar_id=(self.zoom_webinar_id.data or "").replace(" ", "") or None,
            join_url=self.join_url.data or None,
            organiser_name=self.organiser_name.data or None,
            organiser_email=self.organiser_email.data or None,
        )


def new_event_data(default_timezone: str) -> dict:
    """What the form shows for a new event: the deployment's zone and every language."""
    return {"timezone": default_timezone, "languages": list(languages.CODES)}


def event_form_data(event: Event) -> dict:
    """What the form shows for an existing event: its values, times local to its zone."""

    def local(instant):
        return instant.astimezone(event.zone).strftime("%Y-%m-%d %H:%M") if instant else ""

    return {
        "slug": event.slug, "title": event.title, "description": event.description, "audience": event.audience,
        "timezone": event.timezone, "start": local(event.starts_at), "end": local(event.ends_at),
        "languages": list(event.languages), "capacity": event.capacity, "approval_mode": event.approval_mode,
        "registration_opens": local(event.registration_opens_at),
        "registration_closes": local(event.registration_closes_at),
        "zoom_meeting_id": event.zoom_meeting_id or "", "zoom_webinar_id": event.zoom_webinar_id or "",
        "join_url": event.join_url or "", "organiser_name": event.organiser_name or "",
        "organiser_email": event.organiser_email or "",
    }
