"""The event form: local times checked in the event's own zone."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp  # "Title" of an event, not a salutation
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from panel_app.core import languages
from panel_app.events import services as event_services
from panel_app.events.timefmt import parse_local
from panel_app.models import AffiliationType, ApprovalMode, Event, ParticipantRole
from panel_app.models.folding import fold
from panel_app.registration.forms import AFFILIATION_LABELS, ROLE_LABELS, CleanText, RequiredText

LOCAL_TIME_HINT = _l("Local time of the event's zone, as YYYY-MM-DD HH:MM (24-hour clock).")
#: The texts an event can give per language (`Event.translations`), with the default text's limits.
TRANSLATED_FIELDS = {"title": 300, "description": 20_000, "audience": 5_000}


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """IANA zone names to choose from: the zone database's places ("Europe/Zurich") and UTC,
    without the aliases kept for old systems ("US/Eastern", "Etc/GMT+5")."""
    places = {name for name in available_timezones() if "/" in name
              and not name.startswith(("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/"))}
    return ("UTC", *sorted(places))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def resolve_timezone(text: str) -> str | None:
    """The zone an organiser means: an IANA name in any case ("europe/zurich"), or a city that
    names exactly one zone ("Zurich", "new york", "São Paulo"). None when nothing fits."""
    text = text.strip()
    if not text or len(text) > 64 or "\x00" in text:
        return None
    names = timezone_names()
    by_name = {name.casefold(): name for name in names}
    if text.casefold() in by_name:
        return by_name[text.casefold()]
    if text in available_timezones():  # an alias the list leaves out ("US/Eastern") still works
        return text
    city = fold(text).replace(" ", "_")
    found = [name for name in names if fold(name.rsplit("/", 1)[-1]) == city]
    return found[0] if len(found) == 1 else None


def _local_time(zone_field: str):
    """Validator: a 'YYYY-MM-DD HH:MM' local time that exists exactly once in the chosen zone."""

    def check(form, field):
        if not field.data:
            return
        zone = resolve_timezone(getattr(form, zone_field).data or "")
        if zone is None:
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
        description=_l("Lower-case letters, digits and hyphens. The event's public page will be:"),
    )
    title = StringField(_lp("event", "Title"), validators=[RequiredText(message=_l("Enter a title.")), CleanText(300)])
    description = TextAreaField(_l("Description"), validators=[CleanText(20_000, multiline=True)])
    audience = TextAreaField(_l("Who may attend"), validators=[CleanText(5_000, multiline=True)])
    timezone = StringField(_l("Time zone"), default="Europe/Zurich",
                           validators=[InputRequired(message=_l("Choose the event's time zone.")), Length(max=64)],
                           description=_l("Type a city to search the list, e.g. Zurich or New York."))
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
    eligible_affiliations = MultiCheckboxField(
        _l("Who may register: on behalf of"),
        choices=[SelectChoice(a.value, AFFILIATION_LABELS[a]) for a in AffiliationType],
        description=_l("None ticked: anyone. Other registrations wait for your approval, with the reason shown."))
    eligible_roles = MultiCheckboxField(
        _l("Who may register: role"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in ParticipantRole],
        description=_l("None ticked: any role."))
    directory_only = BooleanField(_l("Only organisations in the directory: registrations from others wait for "
                                     "your approval"))
    invitation_only = BooleanField(_l("Invitation only: people register through their parliament's own link"))
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
    #: Asked only after the service said the change needs the organiser's say-so.
    keep_over_capacity = BooleanField(_l("Keep everyone who is confirmed: the event stays over capacity, and "
                                         "nobody moves up from the waiting list until enough people cancel"))
    accept_past = BooleanField(_l("Yes, move the event into the past (registrants get an updated invite)"))

    def validate_timezone(self, field):
        zone = resolve_timezone(field.data or "")
        if zone is None:
            raise ValidationError(_l("Unknown time zone: choose one from the list, such as Europe/Zurich."))
        field.data = zone

    def validate_join_url(self, field):
        if field.data and not field.data.startswith(("https://", "http://")):
            raise ValidationError(_l("The join link must start with https://."))

    def validate_zoom_meeting_id(self, field):
        if field.data and not field.data.replace(" ", "").isdigit():
            raise ValidationError(_l("A Zoom ID is made of digits."))

    validate_zoom_webinar_id = validate_zoom_meeting_id

    def translations(self) -> dict:
        """{language: {field: text}} for the texts given in other languages (empty ones fall back)."""
        result = {}
        for code in languages.CODES:
            texts = {name: (getattr(self, f"{name}_{code}").data or "").strip() for name in TRANSLATED_FIELDS}
            texts = {name: text for name, text in texts.items() if text}
            if texts:
                result[code] = texts
        return result

    def translation_fields(self, code: str) -> list:
        return [getattr(self, f"{name}_{code}") for name in TRANSLATED_FIELDS]

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
            translations=self.translations(),
            eligible_affiliations=list(self.eligible_affiliations.data or []),
            eligible_roles=list(self.eligible_roles.data or []),
            directory_only=bool(self.directory_only.data),
            invitation_only=bool(self.invitation_only.data),
        )


def _add_translation_fields() -> None:
    """`title_fr`, `description_fr`, `audience_fr`... on EventForm, one set per app language."""
    labels = {"title": _l("Title in %(language)s"), "description": _l("Description in %(language)s"),
              "audience": _l("Who may attend, in %(language)s")}
    for code in languages.CODES:
        for name, limit in TRANSLATED_FIELDS.items():
            label = _TranslatedLabel(labels[name], code)
            field = (StringField(label, validators=[Optional(), CleanText(limit)]) if name == "title"
                     else TextAreaField(label, validators=[Optional(), CleanText(limit, multiline=True)]))
            setattr(EventForm, f"{name}_{code}", field)


class _TranslatedLabel:
    """A label such as "Title in French", worded when shown (so in the reader's language)."""

    def __init__(self, text, code: str):
        self.text, self.code = text, code

    def __str__(self) -> str:
        return str(self.text) % {"language": languages.name(self.code)}

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


_add_translation_fields()


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
        "eligible_affiliations": list(event.eligible_affiliations or []),
        "eligible_roles": list(event.eligible_roles or []),
        "directory_only": event.directory_only, "invitation_only": event.invitation_only,
        **{f"{name}_{code}": texts.get(name, "") for code, texts in (event.translations or {}).items()
           if code in languages.CODES for name in TRANSLATED_FIELDS},
    }
