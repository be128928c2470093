"""Outgoing webhooks: signed JSON messages to the HTTPS endpoints administrators register.

Follows the Standard Webhooks specification (https://www.standardwebhooks.com/, spec:
https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
headers `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>`
over "{id}.{timestamp}.{body}" with the endpoint's `whsec_` secret; a JSON body
`{"type", "timestamp", "data"}`.

- `receivers`: signal listeners (registration, attendance, event, privacy) that write a
  message and its deliveries in the same transaction as the change (`services.announce`);
- `services`: endpoints (create, change, rotate the secret, delete), announcing, replay;
- `delivery`: claim a due delivery, sign, POST, record the answer, back off;
- `signing`, `addresses`: the signature and which addresses may be called;
- `jobs`: the delivery job (enqueued after commit) and the sweep every minute.
"""

#: Every event type an endpoint can subscribe to.
EVENT_TYPES = (
    "registration.created",
    "registration.changed",
    "registration.cancelled",
    "attendance.recorded",
    "event.changed",
)
