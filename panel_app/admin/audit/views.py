"""Console page: the audit log, newest first, filtered by action."""

from __future__ import annotations

from flask import abort, render_template, request

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.audit.services import audit_page, event_slugs
from panel_app.extensions import db
from panel_app.models import UserRole


@bp.get("/audit")
@require_role(UserRole.ADMIN)
def audit():
    raw_page = request.args.get("page", "1")
    if not (raw_page.isascii() and raw_page.isdigit()) or len(raw_page) > 9 or int(raw_page) < 1:
        abort(400)
    action = (request.args.get("action") or "").strip()[:64]
    if "\x00" in action:  # PostgreSQL refuses NUL in text: a 400, not a 500
        abort(400)
    result = audit_page(db.session, page=int(raw_page), action=action or None)
    slugs = event_slugs(db.session, {e.event_id for e in result.entries if e.event_id})
    return render_template("admin/audit.html", result=result, action=action, slugs=slugs)
