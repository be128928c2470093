"""A Zoom API simulator for tests and local demos: a real HTTP server on 127.0.0.1, written from Zoom's
documents (each behaviour cites its source next to the code). It is not imported by the app; only the
`flask zoom simulator` demo command imports it, inside the command.

    with ZoomSimulator() as sim:            # or sim = ZoomSimulator().start(); ...; sim.stop()
        sim.add_meeting("81234567890", approval="manual")
        app.config.update(sim.app_config())

Construction: `ZoomSimulator(account_id=, client_id=, client_secret=, webhook_secret=, token_ttl=3599,
revoke_previous_tokens=False, auto_create_meetings=False, page_size_cap=300, clock=None, host=, port=0)`.
`page_size_cap` serves smaller pages than asked (to reach page 2 cheaply); `auto_create_meetings` makes any
numeric meeting id exist (demos).

Lifecycle and wiring: `start()`, `stop()`, context manager; `root_url`, `api_base_url`, `token_url`;
`app_config()` gives the ZOOM_* settings that point the app at the simulator.

Clock: `sim.clock` (`SimClock`: `now()`, `advance(delta)`, `set(when)`) and `sim.advance(delta)`. Token
expiry, daily limits (reset at 00:00 UTC), report readiness and webhook retries follow it; the per-second
limit uses real time.

State Zoom has:
- `add_meeting(id, kind="meetings"|"webinars", approval="auto"|"manual"|"none", topic=, start_time=,
  duration=, type=, settings=)` -> `SimMeeting` (`meetings[id]`: `settings` dict as "Get a meeting" returns
  it, `approval` property over `settings.approval_type`, `questions`, `custom_questions`, `registrants`).
- `registrants(meeting_id, status=None)` -> `SimRegistrant`s (status approved | pending | denied; a cancelled
  registrant is denied). `registrant_cancels(meeting_id, registrant_id)`: the person cancels through Zoom's
  email link (removed; registration_cancelled sent).
- `interpretation_languages` (country ID -> name: Zoom's system languages), `interpretation_on_account`
  (False: Zoom ignores language_interpretation settings).
- `add_instance(meeting_id, uuid, start_time, participants, end_time=, ready_at=)`: an ended instance and its
  report rows (true values; `internal` and `email_shown` keys decide what Zoom hides); `report_delay`
  (timedelta) keeps new reports 404 that long.
- `meeting_object(id, uuid)`, `participant_payload(id, uuid, participant)`, `ended_payload(id, uuid, end)`,
  `registrant_payload(id, registrant)`: webhook payload parts shaped as in Zoom's webhook reference.

Limits: `set_rate_limit(per_second)` (429 QPS per rate-limit category), `set_daily_limit(remaining,
reset_at=None, category=None)` (429 Daily-limit with Retry-After), `registrant_daily_adds` (3: the
per-registrant limit of "Add a registrant", reset at 00:00 UTC).

Faults (`target`: "api" = every API call but never OAuth, the default; "token"; "all"; or a path prefix
such as "/v2/report/"): `fail_next(count, status=500, target=)`, `delay_next(count, seconds, target=)` (the
request still takes effect), `respond_next(count, status, body, content_type=, target=)` (e.g. a proxy's HTML
page), `set_down(down, target=)` (503), `pending_faults()`; `expire_tokens()`.

Readings where the documents are silent (stricter default first): `unknown_custom_questions = "reject" |
"ignore"`; `denied_readd = "error" | "silent"` (adding a denied or cancelled email again).

Webhooks: `sign(body, timestamp, secret=None)`, `send_webhook(url, event, payload, event_ts=, timestamp=,
secret=, signature=)` (one signed POST now), `validate_endpoint(url)`; Zoom's own notifications:
`deliver_webhooks_to(url, events=None)`, `emit(event, payload)`, `hold_webhooks()`,
`release_webhooks("fifo" | "reverse" | [indexes])`, `flush_webhooks()`, `deliveries` (every attempt recorded),
`dropped_webhooks()`.

Inspection: `request_log` [(monotonic time, method, path, status)], `api_requests(since)` (without OAuth),
`token_requests`, `add_calls[(meeting id, casefolded email)]` (add requests that reached Zoom's limit
check), `status_updates` [(meeting id, action, [registrant ids])].

Run alone: `python -m panel_app.zoom.testing --port 8765`, or `flask --app wsgi zoom simulator`.
"""

from panel_app.zoom.testing.model import SimClock, SimInstance, SimMeeting, SimRegistrant
from panel_app.zoom.testing.simulator import ZoomSimulator

__all__ = ["SimClock", "SimInstance", "SimMeeting", "SimRegistrant", "ZoomSimulator"]
