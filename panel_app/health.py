"""Health endpoints for load balancers, orchestrators and monitors.

* `/healthz` (liveness): the process serves requests and its database answers.
* `/readyz` (readiness): the database AND the job queue (Redis, or the SQLite queue file)
  answer, so this instance can take registrations whose mail and Zoom jobs will be queued.
  A load balancer should route traffic only to instances whose `/readyz` is 200.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app

from panel_app.extensions import db, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

# Probes come every few seconds from every load balancer node: never rate-limit them.
limiter.exempt(bp)


def _database_ok() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not reachable"; the reason goes to the log
        log.warning("readiness: database unreachable", exc_info=True)
        db.session.rollback()
        return False


def _queue_ok() -> bool:
    queue = current_app.extensions.get("job_queue")
    if queue is None or queue.huey is None:
        return False
    try:
        # Counting pending tasks is a real round trip to Redis or the SQLite queue file.
        queue.huey.pending_count()
        return True
    except Exception:
        log.warning("readiness: job queue unreachable", exc_info=True)
        return False


@bp.get("/healthz")
def healthz():
    """200 when the database answers a trivial query, 503 otherwise."""
    if not _database_ok():
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/readyz")
def readyz():
    """200 when both the database and the job queue answer, 503 (naming what is down) otherwise."""
    checks = {"database": "ok" if _database_ok() else "down", "queue": "ok" if _queue_ok() else "down"}
    ready = all(value == "ok" for value in checks.values())
    return {"status": "ok" if ready else "unavailable", **checks}, 200 if ready else 503
