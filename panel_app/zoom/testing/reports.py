"""Past instances and participants reports of meetings and webinars.

"Get meeting participant reports" (GET /report/meetings/{meetingId}/participants) and "Get webinar participant
reports": paginated (`page_size` at most 300, `next_page_token`); `meetingId` is a meeting id, which means the
latest instance, or an instance UUID, which "must be double encoded" when it starts with "/" or contains "//";
`include_fields=registrant_id` adds each row's `registrant_id`; rows carry `status` (in_meeting |
in_waiting_room). Since 2023 `id` and `participant_user_id` are empty for participants outside the host's
account (changelog "Meeting API: Fields hidden in dashboard and report APIs", March 3, 2023,
https://developers.zoom.us/changelog/platform/meeting-api-fields-hidden-in-dashboard-and-report-apis/, and
"Changes to Meeting API - Reporting and Dashboard endpoints", March 21, 2023: "Developers should now rely on
the registrant_id field"), and a guest's `user_email` follows "Zoom API email address display rules"
(https://developers.zoom.us/changelog/platform/zoom-api-email-address-display-rules/): shown when the guest
entered it in the meeting's registration, or the host provided it; otherwise empty.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from panel_app.zoom.testing.model import ApiError, SimInstance, SimMeeting, iso

#: Simulator-only keys of a row given to `add_instance`, never served.
#: internal: the participant is a user of the host's account (default False: a guest);
#: email_shown: one of Zoom's display rules shows this guest's email although the sim cannot tell (the host
#: provided it: calendar invite, authentication exception, CSV import).
SIM_KEYS = ("internal", "email_shown")


def served_row(row: dict, *, include_registrant_id: bool, registered_emails: set[str]) -> dict:
    """A report row as Zoom serves it, from the full row a test gives (see SIM_KEYS)."""
    internal = bool(row.get("internal"))
    email = str(row.get("user_email") or "")
    # Display rules: a guest's email is shown when they entered it in this meeting's registration.
    entered = bool(row.get("registrant_id")) or email.casefold() in registered_emails
    data = {k: v for k, v in row.items() if k not in SIM_KEYS}
    if not internal:
        if "id" in data:
            data["id"] = ""
        if "participant_user_id" in data:
            data["participant_user_id"] = ""
        if not (entered or row.get("email_shown")):
            data["user_email"] = ""
    if not include_registrant_id:
        data.pop("registrant_id", None)
    else:
        data.setdefault("registrant_id", "")
    return data


class ReportsMixin:
    """`add_instance`, `report_delay`; GET past instances and participants reports."""

    def _init_reports(self) -> None:
        #: How long after `add_instance` a report stays 404 (on the sim clock). Zoom's documents give no
        #: figure; the report is not there at once (forum reports of a 404 "Meeting does not exist" right after
        #: the end), so tests that care set a delay and move the clock.
        self.report_delay = timedelta(0)

    def add_instance(self, meeting_id: str, uuid: str, start_time: datetime, participants: list[dict], *,
                     end_time: datetime | None = None, ready_at: datetime | None = None) -> SimInstance:
        """Record an ended instance of a meeting id and its participants report rows (Zoom's field names,
        with the true `id`, `participant_user_id`, `user_email`, `registrant_id`; `internal` and
        `email_provided` decide what is served). The report is readable from `ready_at` (default: now +
        `report_delay` on the sim clock)."""
        with self._lock:
            meeting = self.meetings[str(meeting_id)]
            instance = SimInstance(
                uuid=uuid, start_time=start_time,
                end_time=end_time or start_time + timedelta(minutes=meeting.duration),
                participants=[dict(row) for row in participants],
                report_ready_at=ready_at or self.clock.now() + self.report_delay)
            meeting.instances = [i for i in meeting.instances if i.uuid != uuid] + [instance]
            return instance

    def _api_instances(self, request: Request, past: str, meeting: str) -> Response:
        # "List past meeting instances" (GET /past_meetings/{meetingId}/instances) answers {"meetings":
        # [{"uuid", "start_time"}]}; "List past webinar instances" answers {"webinars": [...]}.
        kind = "webinars" if past == "past_webinars" else "meetings"
        sim_meeting = self._meeting(kind, meeting)
        with self._lock:
            items = [{"uuid": i.uuid, "start_time": iso(i.start_time)}
                     for i in sorted(sim_meeting.instances, key=lambda i: i.start_time)]
        return self._json({kind: items})

    def _api_report(self, request: Request, kind: str, meeting: str) -> Response:
        # WSGI has decoded the path once. A UUID with "/" that was encoded only once therefore arrives split
        # into segments: Zoom does not find it, and neither do we. The reference names a leading "/" and "//"
        # ("must be double encoded"); a single "/" inside fails the same way in practice (uppy's Zoom provider,
        # https://github.com/transloadit/uppy/pull/2526), so any "/" must come double-encoded here.
        if "/" in meeting:
            raise ApiError(404, 3001, _not_found(kind, meeting))
        value = unquote(meeting) if "%" in meeting else meeting
        include = {f.strip() for f in request.args.get("include_fields", "").split(",") if f.strip()}
        if include - {"registrant_id"}:
            raise ApiError(400, 300, "Invalid field: include_fields.")
        with self._lock:
            found = self._instance_for(kind, value)
            if found is None or found[1].report_ready_at > self.clock.now():
                raise ApiError(404, 3001, _not_found(kind, value))
            emails = {r.email.casefold() for r in found[0].registrants.values()}
            rows = [served_row(r, include_registrant_id="registrant_id" in include, registered_emails=emails)
                    for r in found[1].participants]
        return self._page(request, ("report", kind, value, tuple(sorted(include))), rows, "participants")

    def _instance_for(self, kind: str, value: str) -> tuple[SimMeeting, SimInstance] | None:
        for candidate in self.meetings.values():
            if candidate.kind != kind:
                continue
            instance = candidate.instance(value)
            if instance is not None:
                return candidate, instance
            if value == candidate.id and candidate.instances:
                # A meeting id (not a UUID) means the latest instance (the `meetingId` parameter's description).
                return candidate, max(candidate.instances, key=lambda i: i.start_time)
        return None


def _not_found(kind: str, value: str) -> str:
    # Error tables of "Get meeting participant reports" / "Get webinar participant reports": 404 code 3001.
    if kind == "webinars":
        return f'Webinar "{value}" not found or has expired'
    return f"Meeting {value} not found or has expired."
