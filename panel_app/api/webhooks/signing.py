"""Signing secrets and signatures, exactly as the Standard Webhooks specification says.

"Standard Webhooks" specification, sections "Signature scheme" and "Webhook headers":
https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
- secret: "whsec_" + base64 of 24 to 64 random bytes (we use 32), the HMAC key being the
  decoded bytes;
- signed content: "{webhook-id}.{webhook-timestamp}.{body}" (the id binds the signature to
  one message, the timestamp lets receivers refuse replays older than a few minutes);
- `webhook-signature`: "v1," + base64 of HMAC-SHA256 (several, space separated, during a
  secret rotation: we send one).

The secret is derived from SECRET_KEY and a random per-endpoint nonce, like private
registration links: the database holds the nonce and a hash of the secret, never the secret,
so a copy of the database alone cannot forge messages to the receivers. Changing SECRET_KEY
therefore changes every endpoint's secret: deliveries then stop with a clear error until an
administrator rotates the secret and gives the new one to the receiver.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_nonce() -> str:
    return secrets.token_hex(16)


def derive_secret(secret_key: str, nonce: str) -> str:
    key = hmac.new(secret_key.encode("utf-8"), b"webhook-secret:" + nonce.encode("ascii"), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(key).decode("ascii")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def current_secret(nonce: str, expected_hash: str, secret_key: str) -> str | None:
    """The endpoint's secret, or None when it no longer derives from SECRET_KEY (key changed)."""
    secret = derive_secret(secret_key, nonce)
    return secret if hmac.compare_digest(secret_hash(secret), expected_hash) else None


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
