"""Console page: the audit log, newest first, filtered by action."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from panel_app.admin.audit.describe import ACTION_LABELS
from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.audit.services import audit_page, event_slugs
from panel_app.extensions import db
from panel_app.models import UserRole


@bp.get("/audit")
@require_role(UserRole.ADMIN)
def audit():
    errors = []
    raw_page = request.args.get("page", "1")
    page = 1
    if raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 9 and int(raw_page) >= 1:
        page = int(raw_page)
    else:
        errors.append(_("The page number must be a whole number from 1."))
    action = (request.args.get("action") or "").strip()
    if len(action) > 64 or any(ord(ch) < 32 for ch in action):  # PostgreSQL refuses NUL in text
        errors.append(_("The action filter is too long or contains characters that cannot be searched for."))
        action = ""
    result = audit_page(db.session, page=page, action=action or None)
    slugs = event_slugs(db.session, {e.event_id for e in result.entries if e.event_id})
    return render_template("admin/audit.html", result=result, action=action, slugs=slugs, errors=errors,
                           known_actions=sorted(ACTION_LABELS)), 400 if errors else 200
