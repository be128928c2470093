"""Liveness endpoint for load balancers and monitors."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint

from panel_app.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers a trivial query, 503 otherwise."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "ok"}
