"""Mail sender adapters: SMTP (STARTTLS/SSL, auth, explicit timeout) or an outbox folder.

`get_sender()` picks the implementation from config: `MAIL_SERVER` set means SMTP, else
`.eml` files written atomically to `MAIL_OUTBOX_PATH` (instance/outbox/). Both expose
`send(message)` and `send_many(messages, on_result=None)`; the latter reuses one SMTP
connection and reports one outcome per message as it is known, so a refused recipient never
stops the batch.

Errors are typed: `TemporaryMailError` (server down, timeout, 4xx: retry later) and
`PermanentMailError` (5xx, e.g. unknown mailbox: do not retry).
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses, parseaddr
from pathlib import Path

from panel_app.mail.compose import PreparedMessage

log = logging.getLogger(__name__)

class MailError(Exception):
    """Sending failed."""


class TemporaryMailError(MailError):
    """Worth retrying later: connection refused or lost, timeout, 4xx reply."""


class PermanentMailError(MailError):
    """The server refused this message for good (5xx reply)."""


def _recipients(message: EmailMessage) -> list[str]:
    prepared = getattr(message, "recipients", None)
    if prepared is not None:  # compose.PreparedMessage knows its envelope recipients
        return list(prepared)
    fields = [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])]
    return [address for _, address in getaddresses(fields) if address]


def _classify(exc: Exception) -> MailError:
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return (PermanentMailError if permanent else TemporaryMailError)(f"recipients refused: {exc.recipients}")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        cls = PermanentMailError if 500 <= exc.smtp_code < 600 else TemporaryMailError
        return cls(f"{exc.smtp_code} {text}")
    return TemporaryMailError(f"{type(exc).__name__}: {exc}")


def _needs_reconnect(exc: Exception) -> bool:
    """Connection-level failures: the next message needs a new connection."""
    return (isinstance(exc, (smtplib.SMTPServerDisconnected, OSError))
            and not isinstance(exc, smtplib.SMTPResponseException))


@dataclass
class SmtpSender:
    """Sends through one SMTP server; `send_many` keeps one connection for the batch."""

    host: str
    port: int
    envelope_from: str
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    use_ssl: bool = False
    timeout: float = 30

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.use_ssl:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.use_tls and not self.use_ssl:
                client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password or "")
            return client
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise _classify(exc) from exc

    def _send_one(self, client: smtplib.SMTP, message: EmailMessage) -> None:
        recipients = _recipients(message)
        if not recipients:
            raise PermanentMailError("message has no recipient")
        # Non-ASCII mailboxes need SMTPUTF8; everything else goes out as plain RFC 5322.
        needs_utf8 = any(not address.isascii() for address in recipients + [self.envelope_from])
        options = ["SMTPUTF8"] if needs_utf8 else []
        if isinstance(message, PreparedMessage):  # already in wire form: no generator pass
            client.sendmail(self.envelope_from, recipients, message.data, mail_options=options)
        else:
            client.send_message(message, from_addr=self.envelope_from, to_addrs=recipients, mail_options=options)

    def send(self, message: EmailMessage) -> None:
        """Send one message; raises TemporaryMailError or PermanentMailError."""
        outcome = self.send_many([message])[0]
        if outcome is not None:
            raise outcome

    def send_many(self, messages: list, on_result=None) -> list[MailError | None]:
        """Send `messages` over one connection; returns None (sent) or the error, per message.

        `on_result(index, outcome)`, when given, is called as soon as each message's outcome
        is known, so the caller can record it before the next one goes out. A dropped
        connection is reopened once and the batch continues; if the server cannot be reached
        at all, every remaining message gets the same TemporaryMailError.
        """
        outcomes: list[MailError | None] = []

        def done(outcome: MailError | None) -> None:
            outcomes.append(outcome)
            if on_result is not None:
                on_result(len(outcomes) - 1, outcome)

        client: smtplib.SMTP | None = None
        try:
            for index, message in enumerate(messages):
                for attempt in (1, 2):
                    if client is None:
                        try:
                            client = self._connect()
                        except MailError as exc:  # unreachable: the rest cannot go either
                            for _ in range(len(messages) - index):
                                done(exc)
                            return outcomes
                    try:
                        self._send_one(client, message)
                        outcome = None
                    except MailError as exc:
                        outcome = exc
                    except (smtplib.SMTPException, OSError) as exc:
                        if _needs_reconnect(exc):
                            _quietly_close(client)
                            client = None
                            if attempt == 1:
                                continue  # the server may have closed an idle connection
                        else:
                            _reset(client)  # a refused message leaves the session usable
                        outcome = _classify(exc)
                    done(outcome)
                    break
            return outcomes
        finally:
            if client is not None:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    _quietly_close(client)


def _reset(client: smtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        client.rset()
    except (smtplib.SMTPException, OSError):
        pass


def _quietly_close(client: smtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        client.close()
    except OSError:
        pass


@dataclass
class OutboxSender:
    """Writes each message as an .eml file (for a machine without a mail server, and demos).

    Written to a temporary file in the same folder, then renamed, so a reader never sees a
    half-written message.
    """

    path: str

    def send(self, message: EmailMessage) -> Path:
        folder = Path(self.path)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        # The message's own policy (compose.POLICY keeps its address headers as written),
        # with UTF-8 headers only when an address needs them, as smtplib does for SMTPUTF8.
        policy = getattr(message, "policy", SMTP).clone(utf8=not all(a.isascii() for a in _recipients(message)))
        data = message.as_bytes(policy=policy)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temp, target)
        except OSError as exc:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise TemporaryMailError(f"cannot write {target}: {exc}") from exc
        return target

    def send_many(self, messages: list, on_result=None) -> list[MailError | None]:
        """Write each message; returns None (written) or the error, per message (see SmtpSender)."""
        outcomes: list[MailError | None] = []
        for index, message in enumerate(messages):
            try:
                self.send(message)
                outcome = None
            except MailError as exc:
                outcome = exc
            outcomes.append(outcome)
            if on_result is not None:
                on_result(index, outcome)
        return outcomes


#: The Message-ID's local part in a message's header block (compose writes it on one line).
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^@>\s]+)@", re.I | re.M)
#: Enough of a file to hold its header block.
_HEAD_BYTES = 16 * 1024


def erase_outbox_messages(folder: str | Path, message_keys: set[str]) -> int:
    """Delete the outbox files whose Message-ID has one of `message_keys` as local part (a
    person's messages, when their data is erased); returns how many were deleted."""
    path = Path(folder)
    if not message_keys or not path.is_dir():
        return 0
    wanted = {key.encode("ascii", "replace") for key in message_keys}
    removed = 0
    for file in path.glob("*.eml"):
        try:
            with file.open("rb") as stream:
                head = stream.read(_HEAD_BYTES).split(b"\r\n\r\n", 1)[0]
            match = _MESSAGE_ID.search(head)
            if match and match.group(1) in wanted:
                file.unlink()
                removed += 1
        except FileNotFoundError:  # removed meanwhile (retention job, another erasure)
            continue
        except OSError as exc:
            log.warning("cannot erase outbox file %s: %s", file, exc)
    return removed


def sender_from_config(config) -> SmtpSender | OutboxSender:
    """The sender described by a config mapping (MAIL_* names)."""
    if not config.get("MAIL_SERVER"):
        return OutboxSender(config["MAIL_OUTBOX_PATH"])
    _, envelope_from = parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")
    return SmtpSender(
        host=config["MAIL_SERVER"],
        port=int(config.get("MAIL_PORT") or 25),
        envelope_from=envelope_from,
        username=config.get("MAIL_USERNAME"),
        password=config.get("MAIL_PASSWORD"),
        use_tls=bool(config.get("MAIL_USE_TLS")),
        use_ssl=bool(config.get("MAIL_USE_SSL")),
        timeout=float(config.get("MAIL_TIMEOUT") or 30),
    )


def get_sender() -> SmtpSender | OutboxSender:
    """The sender configured for the current app."""
    from flask import current_app

    return sender_from_config(current_app.config)
