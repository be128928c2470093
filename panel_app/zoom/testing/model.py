"""The simulator's state: a controllable clock, meetings, registrants, past instances, API errors."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone


def iso(value: datetime) -> str:
    """Zoom's date-time format in API answers and webhooks: UTC, seconds, `Z`."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_utc_midnight(now: datetime) -> datetime:
    return (now.astimezone(timezone.utc) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class SimClock:
    """Wall-clock time plus an offset that tests move forward (`advance`) or set (`set`).

    Everything Zoom decides by date (token expiry, daily limits reset at 00:00 UTC, reports
    ready some time after a meeting ends) reads this clock, so a test can cross midnight
    without sleeping. The per-second rate limit uses the real monotonic clock: it paces real
    requests.
    """

    def __init__(self, start: datetime | None = None):
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(timezone.utc) + self._offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance(self, delta: timedelta | float) -> datetime:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        with self._lock:
            self._offset += delta
        return self.now()

    def set(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            raise ValueError("SimClock.set needs an aware datetime")
        with self._lock:
            self._offset = when - datetime.now(timezone.utc)
        return when


class ApiError(Exception):
    """An error answer in Zoom's shape: HTTP status plus `{"code": ..., "message": ...}` (and `errors`)."""

    def __init__(self, status: int, code: int, message: str, headers: dict | None = None,
                 errors: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.errors = errors


def invalid_field(field: str) -> ApiError:
    # Zoom's validation answer (observed): 400 {"code": 300, "message": "Validation Failed.",
    # "errors": [{"field": "email", "message": "Invalid field."}]}; the message names the field too.
    return ApiError(400, 300, f"Validation Failed. Invalid field: {field}.",
                    errors=[{"field": field, "message": "Invalid field."}])


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class SimRegistrant:
    id: str
    email: str
    first_name: str
    last_name: str
    #: Zoom's three registrant statuses ("List meeting registrants", `status` query):
    #: approved | pending | denied. A cancelled registrant is listed as denied.
    status: str
    create_time: datetime
    join_url: str
    fields: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        """A registrant as "List meeting registrants" / "Get a meeting registrant" return it. `language` is
        accepted by "Add a meeting registrant" but is not among the fields these answers (or the
        registration_created payload) list, so it is not returned."""
        shown = {k: v for k, v in self.fields.items() if k != "language"}
        data = {"id": self.id, "email": self.email, "first_name": self.first_name, "last_name": self.last_name,
                **shown, "status": self.status, "create_time": iso(self.create_time), "join_url": self.join_url}
        data.setdefault("custom_questions", [])
        return data


@dataclass
class SimInstance:
    """One ended occurrence of a meeting id, with its participants report rows."""

    uuid: str
    start_time: datetime
    end_time: datetime | None
    participants: list[dict]
    #: When its participants report becomes readable (404 before).
    report_ready_at: datetime | None = None


APPROVAL_TYPES = {"auto": 0, "manual": 1, "none": 2}


@dataclass
class SimMeeting:
    id: str
    kind: str  # meetings | webinars
    topic: str
    start_time: datetime
    duration: int
    #: Zoom's meeting `type`: 2 scheduled, 3 recurring no fixed time, 8 recurring fixed time;
    #: webinars: 5 webinar, 6 recurring no fixed time, 9 recurring fixed time.
    type: int
    settings: dict
    timezone: str = "Europe/Zurich"
    host_id: str = "sim-host-id"
    agenda: str = ""
    registrants: dict[str, SimRegistrant] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)
    questions: list[dict] = field(default_factory=list)
    custom_questions: list[dict] = field(default_factory=list)
    instances: list[SimInstance] = field(default_factory=list)

    @property
    def approval(self) -> str:
        """auto | manual | none, from `settings.approval_type` (0, 1, 2)."""
        value = self.settings.get("approval_type", 2)
        return {v: k for k, v in APPROVAL_TYPES.items()}.get(value, "none")

    @approval.setter
    def approval(self, value: str) -> None:
        self.settings["approval_type"] = APPROVAL_TYPES[value]

    @property
    def numeric_id(self) -> int | str:
        return int(self.id) if self.id.isdigit() else self.id

    def instance(self, uuid: str) -> SimInstance | None:
        return next((i for i in self.instances if i.uuid == uuid), None)
