"""gunicorn settings, all from the environment (used by `gunicorn -c gunicorn.conf.py wsgi:app`).

WEB_CONCURRENCY   worker processes (default: 2 x CPU cores, at least 2)
GUNICORN_THREADS  threads per worker (default 4; gthread worker keeps connections alive)
BIND              address to listen on (default 127.0.0.1:8000; put a load balancer in front)
FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers gunicorn trusts (default 127.0.0.1)
ACCESS_LOG        "-" for stdout (default), a file path, or "off"
GUNICORN_TIMEOUT  seconds before a silent worker is restarted (default 30)
LOG_FORMAT        "json" makes the access log one JSON object per line (as the app's log)

Access log lines carry the request id (X-Request-ID) and never a private token: paths of
registrant pages are redacted.
"""

import json
import multiprocessing
import os
import re

from gunicorn.glogging import Logger

_cores = multiprocessing.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, 2 * _cores))
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
worker_class = "gthread"
bind = os.environ.get("BIND") or "127.0.0.1:8000"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 20
keepalive = 5
# Restart workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 10_000)
max_requests_jitter = max_requests // 10
_access = os.environ.get("ACCESS_LOG", "-")
accesslog = None if _access.lower() == "off" else _access
errorlog = "-"
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'

_PRIVATE_PATH = re.compile(r"(/registrations/)[^/?\s]+")


def redact(text: str) -> str:
    """Hide private registration tokens in a path or request line."""
    return _PRIVATE_PATH.sub(r"\1[token]", text or "")


class RedactingLogger(Logger):
    """gunicorn's logger with private tokens redacted, optionally as JSON lines."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q"):
            if key in atoms:
                atoms[key] = redact(atoms[key])
        atoms.pop("{raw_uri}e", None)
        return atoms

    def access(self, resp, req, environ, request_time):
        if os.environ.get("LOG_FORMAT", "").lower() != "json":
            return super().access(resp, req, environ, request_time)
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict or self.cfg.syslog):
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        entry = {
            "logger": "gunicorn.access",
            "remote": atoms.get("h"),
            "method": atoms.get("m"),
            "path": atoms.get("U"),
            "status": resp.status_code if hasattr(resp, "status_code") else atoms.get("s"),
            "bytes": atoms.get("B"),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "request_id": resp.headers and dict((k.lower(), v) for k, v in resp.headers).get("x-request-id"),
            "user_agent": atoms.get("a"),
        }
        self.access_log.info(json.dumps(entry))
        return None


logger_class = RedactingLogger
