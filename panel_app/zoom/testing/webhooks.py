"""Webhooks: signed notifications, `endpoint.url_validation`, and delivery under Zoom's retry rule.

"Using webhooks" (https://developers.zoom.us/docs/api/webhooks/): each notification is a POST with a JSON
body {"event", "event_ts" (ms), "payload"}, the headers `x-zm-request-timestamp` (seconds) and
`x-zm-signature: v0=` + HMAC-SHA256(secret token, "v0:{timestamp}:{body}") in hex; `endpoint.url_validation`
carries `payload.plainToken` and expects {"plainToken", "encryptedToken": HMAC-SHA256(secret, plainToken)}.

Delivery ("Resolving webhook delays", https://developers.zoom.us/blog/webhook-delays/, and the webhook
docs' "Notification delivery"): the endpoint must answer 200 or 204 within three seconds; otherwise Zoom
retries three times, 5 minutes after the first attempt, 20 minutes after the first retry and 60 minutes after
the second, then drops the event. The simulator applies that rule on its own clock and records every attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests

from panel_app.zoom.testing.model import SimMeeting, SimRegistrant, iso

#: Status codes Zoom counts as delivered, and the time the endpoint has to answer.
DELIVERED_STATUSES = (200, 204)
ANSWER_WITHIN = 3.0
#: Delays before retry 1, 2 and 3, each counted from the previous attempt.
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=20), timedelta(minutes=60))


@dataclass
class Delivery:
    """One notification and its delivery attempts (sim time, HTTP status or error text, seconds taken)."""

    event: str
    event_ts: int
    payload: dict
    url: str
    due_at: datetime
    attempts: list[tuple[datetime, int | str, float]] = field(default_factory=list)
    outcome: str = "pending"  # pending | delivered | dropped

    @property
    def body(self) -> bytes:
        return json.dumps({"event": self.event, "event_ts": self.event_ts, "payload": self.payload},
                          separators=(",", ":")).encode()


class WebhooksMixin:
    """`sign`, `send_webhook`, `validate_endpoint`, payload builders, and the delivery outbox."""

    def _init_webhooks(self, webhook_secret: str) -> None:
        self.webhook_secret = webhook_secret
        self.webhook_url: str | None = None
        #: Event names delivered to `webhook_url` (None: every event the simulator emits).
        self.webhook_events: set[str] | None = None
        self.deliveries: list[Delivery] = []
        self._held = False
        self._outbox_cond = threading.Condition()
        self._outbox_stop = False
        self._outbox_busy = 0
        self._outbox_thread: threading.Thread | None = None

    # -- signing and direct sends ---------------------------------------------------------------

    def sign(self, body: bytes, timestamp: str, secret: str | None = None) -> str:
        message = b"v0:" + timestamp.encode() + b":" + body
        digest = hmac.new((secret or self.webhook_secret).encode(), message, hashlib.sha256).hexdigest()
        return f"v0={digest}"

    def send_webhook(self, url: str, event: str, payload: dict, *, event_ts: int | None = None,
                     timestamp: int | None = None, secret: str | None = None, signature: str | None = None,
                     timeout: float = 5.0) -> requests.Response:
        """POST one signed notification now, like Zoom does; override timestamp/signature to forge one."""
        body = json.dumps({"event": event, "event_ts": event_ts or int(self.clock.timestamp() * 1000),
                           "payload": payload}, separators=(",", ":")).encode()
        return self._post(url, body, timestamp=timestamp, secret=secret, signature=signature, timeout=timeout)

    def _post(self, url: str, body: bytes, *, timestamp: int | None = None, secret: str | None = None,
              signature: str | None = None, timeout: float = 5.0) -> requests.Response:
        # x-zm-request-timestamp is the sending time in seconds; the app checks it against its own clock,
        # so real time is used here, not the sim clock.
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {"Content-Type": "application/json", "x-zm-request-timestamp": ts,
                   "x-zm-signature": signature or self.sign(body, ts, secret)}
        return requests.post(url, data=body, headers=headers, timeout=timeout)

    def validate_endpoint(self, url: str) -> bool:
        """Zoom's endpoint.url_validation challenge; True when the answer is correct."""
        plain = secrets.token_urlsafe(16)
        response = self.send_webhook(url, "endpoint.url_validation", {"plainToken": plain})
        if response.status_code != 200:
            return False
        expected = hmac.new(self.webhook_secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
        try:
            answer = response.json()
        except ValueError:
            return False
        return answer.get("plainToken") == plain and hmac.compare_digest(str(answer.get("encryptedToken")), expected)

    # -- payloads (rivet types in @zoom/rivet meetings.d.ts) ------------------------------------

    def participant_payload(self, meeting_id: str, uuid: str, participant: dict) -> dict:
        """`payload` of meeting.participant_joined / _left (MeetingParticipantJoinedEvent): `object.id` is a
        string there, and `participant` carries Zoom's participant fields as given."""
        obj = self.meeting_object(meeting_id, uuid)
        obj["id"] = str(obj["id"])
        obj["participant"] = participant
        return {"account_id": self.account_id, "object": obj}

    def ended_payload(self, meeting_id: str, uuid: str, end_time: datetime) -> dict:
        """`payload` of meeting.ended (MeetingEndedEvent)."""
        obj = self.meeting_object(meeting_id, uuid)
        obj["id"] = str(obj["id"])
        obj["end_time"] = iso(end_time)
        return {"account_id": self.account_id, "object": obj}

    # -- the outbox: notifications Zoom sends by itself -----------------------------------------

    def deliver_webhooks_to(self, url: str | None, events: set[str] | None = None) -> None:
        """Deliver the notifications Zoom would send (registration_* on every registrant change, also the
        changes made through the API; what `emit` queues) to `url`, in the background (None: stop)."""
        self.webhook_url = url
        self.webhook_events = events
        if url and self._outbox_thread is None:
            self._outbox_stop = False
            self._outbox_thread = threading.Thread(target=self._outbox_loop, name="zoom-sim-webhooks", daemon=True)
            self._outbox_thread.start()

    def emit(self, event: str, payload: dict, *, event_ts: int | None = None) -> Delivery | None:
        """Queue a notification for `webhook_url` (nothing when none is set or the event is not subscribed)."""
        if not self.webhook_url or (self.webhook_events is not None and event not in self.webhook_events):
            return None
        now = self.clock.now()
        delivery = Delivery(event=event, event_ts=event_ts or int(now.timestamp() * 1000), payload=payload,
                            url=self.webhook_url, due_at=now)
        with self._outbox_cond:
            self.deliveries.append(delivery)
            self._outbox_cond.notify_all()
        return delivery

    def hold_webhooks(self) -> None:
        """Queue notifications without sending them until `release_webhooks`."""
        with self._outbox_cond:
            self._held = True

    def release_webhooks(self, order: str | list[int] = "fifo") -> None:
        """Send what was held: "fifo", "reverse" (late and out of order), or a list of indexes into the
        held notifications giving the sending order (the others follow in order)."""
        with self._outbox_cond:
            held = [d for d in self.deliveries if d.outcome == "pending" and not d.attempts]
            rest = [d for d in self.deliveries if d not in held]
            if order == "reverse":
                held.reverse()
            elif isinstance(order, list):
                picked = [held[i] for i in order]
                held = picked + [d for d in held if d not in picked]
            now = self.clock.now()
            for offset, delivery in enumerate(held):
                delivery.due_at = now + timedelta(microseconds=offset)  # keep the chosen order
            self.deliveries = rest + held
            self._held = False
            self._outbox_cond.notify_all()

    def flush_webhooks(self, timeout: float = 10.0) -> None:
        """Wait until every notification due on the sim clock has had its attempt (advance the clock to
        reach retries)."""
        deadline = time.monotonic() + timeout
        with self._outbox_cond:
            while self._due() or self._outbox_busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("webhook deliveries still due")
                self._outbox_cond.notify_all()
                self._outbox_cond.wait(min(remaining, 0.05))

    def dropped_webhooks(self) -> list[Delivery]:
        """Notifications Zoom gave up on after three retries (a test asserts this stays empty)."""
        with self._outbox_cond:
            return [d for d in self.deliveries if d.outcome == "dropped"]

    def _due(self) -> list[Delivery]:
        if self._held:
            return []
        now = self.clock.now()
        return sorted((d for d in self.deliveries if d.outcome == "pending" and d.due_at <= now),
                      key=lambda d: d.due_at)

    def _outbox_loop(self) -> None:
        while True:
            with self._outbox_cond:
                while not self._outbox_stop and not self._due():
                    self._outbox_cond.wait(0.05)
                if self._outbox_stop:
                    return
                delivery = self._due()[0]
                self._outbox_busy += 1
            try:
                self._attempt(delivery)
            finally:
                with self._outbox_cond:
                    self._outbox_busy -= 1
                    self._outbox_cond.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        started = time.monotonic()
        try:
            response = self._post(delivery.url, delivery.body, timeout=ANSWER_WITHIN)
            result: int | str = response.status_code
        except requests.RequestException as exc:
            result = type(exc).__name__
        elapsed = time.monotonic() - started
        with self._outbox_cond:
            delivery.attempts.append((self.clock.now(), result, elapsed))
            if result in DELIVERED_STATUSES and elapsed <= ANSWER_WITHIN:
                delivery.outcome = "delivered"
            elif len(delivery.attempts) > len(RETRY_DELAYS):
                delivery.outcome = "dropped"
            else:
                delivery.due_at = self.clock.now() + RETRY_DELAYS[len(delivery.attempts) - 1]

    def _stop_delivery(self) -> None:
        with self._outbox_cond:
            self._outbox_stop = True
            self._outbox_cond.notify_all()
        if self._outbox_thread is not None:
            self._outbox_thread.join(timeout=10)
            self._outbox_thread = None

    def _notify_registration(self, change: str, meeting: SimMeeting, registrant: SimRegistrant) -> None:
        """Queue `meeting.registration_{created,approved,denied,cancelled}` (webinar.* for webinars).

        "Meeting Registration Created": "triggered every time a user registers for a meeting ... A participant
        can also be registered programmatically using the Add Meeting Registrant API": Zoom echoes changes
        made through the API. Payload shapes: MeetingRegistration{Created,Approved,Denied,Cancelled}Event.
        """
        prefix = "webinar" if meeting.kind == "webinars" else "meeting"
        obj = self.meeting_object(meeting.id, f"sim{meeting.id}==")
        person = registrant.as_json()
        if change == "created":
            obj["registrant"] = person
            payload = {"account_id": self.account_id, "object": obj}
        else:
            keys = ("id", "first_name", "last_name", "email") + (
                ("join_url", "participant_pin_code") if change == "approved" else ())
            obj["registrant"] = {k: person[k] for k in keys if k in person}
            payload = {"account_id": self.account_id, "operator": "api@sim.example", "operator_id": "sim-api",
                       "object": obj}
        self.emit(f"{prefix}.registration_{change}", payload)
