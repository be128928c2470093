"""The Zoom set-up page of an event (/admin/events/<slug>/zoom): status, fixes, interpreters.

Thin: parse, call panel_app.zoom.setup / .interpreters, commit, redirect (303) with a message.
Zoom calls use a client with short timeouts; every Zoom failure becomes a message in the
organiser's language. Viewers see the page; the app-wide console rule refuses their POSTs.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import checked_action_form, client_ip, current_account, event_or_404
from panel_app.admin.forms import ActionForm
from panel_app.admin.zoom.forms import (
    INTERPRETER_MESSAGES,
    CreateMeetingForm,
    InterpreterForm,
    pair_value,
)
from panel_app.extensions import db
from panel_app.models import Event, UserRole, utcnow
from panel_app.zoom import interpreters as interpreter_services
from panel_app.zoom import setup, setup_rules, setup_text
from panel_app.zoom.client import build_client, zoom_enabled
from panel_app.zoom.errors import ZoomError, ZoomNotConfigured

log = logging.getLogger(__name__)


def _page_url(event: Event) -> str:
    return url_for("admin.zoom_setup", slug=event.slug)


def _client():
    """A Zoom client for a person waiting on the page (short timeouts), or None when Zoom is off."""
    if not zoom_enabled(current_app.config):
        return None
    return build_client(current_app.config, db.engine).interactive()


def _run(event: Event, call):
    """Run a set-up call with a fresh client; commit on success, roll back and explain on failure."""
    client = _client()
    if client is None:
        flash(setup_text.error_message(ZoomNotConfigured("")), "error")
        return None
    try:
        result = call(client)
        db.session.commit()
        return result
    except setup.SetupError as exc:
        db.session.rollback()
        flash(setup_text.input_error_message(exc.code), "error")
    except ZoomError as exc:
        db.session.rollback()
        log.warning("zoom set-up for event %s: %s", event.id, exc)
        flash(setup_text.error_message(exc, zoom_id=event.zoom_id), "error")
    except IntegrityError:  # two organisers checking at once: the other check is stored
        db.session.rollback()
        flash(_("Someone else changed this page at the same time; here is the latest state."), "info")
    finally:
        client.close()
    return None


def _flash_report(report: setup_rules.SetupReport) -> None:
    if report.problems:
        flash(_("Checked: %(n)d problem(s) found.", n=len(report.problems)), "error")
    else:
        flash(_("Checked: the Zoom settings fit this event."), "success")


def _render(event: Event, *, interpreter_form: InterpreterForm | None = None,
            create_form: CreateMeetingForm | None = None, status: int = 200):
    check = setup.last_check(db.session, event)
    findings = [setup_rules.Finding.from_dict(item) for item in (check.findings if check else [])]
    rows = [(f, setup_text.finding_title(f.code), *setup_text.describe(f, event.zone)) for f in findings]
    interpreters = setup.list_interpreters(db.session, event)
    usable = {i.id for i in setup_rules.usable_interpreters(event, interpreters)}
    return render_template(
        "admin/zoom/setup.html", event=event, check=check, rows=rows,
        severity_labels=setup_text.SEVERITY_LABELS, zoom_on=zoom_enabled(current_app.config),
        interpreters=[(i, i.id in usable) for i in interpreters],
        interpreter_form=interpreter_form or InterpreterForm(event_languages=list(event.languages or [])),
        create_form=create_form or CreateMeetingForm(), action_form=ActionForm(),
        fixable=[f for f in findings if f.fixable],
    ), status


@bp.get("/events/<slug>/zoom")
def zoom_setup(slug: str):
    return _render(event_or_404(slug))


@bp.post("/events/<slug>/zoom/check")
@require_role(UserRole.ORGANISER)
def zoom_setup_check(slug: str):
    checked_action_form()
    event = event_or_404(slug)
    report = _run(event, lambda client: setup.check_setup(db.session, client, event, now=utcnow()))
    if report is not None:
        _flash_report(report)
    return redirect(_page_url(event), code=303)


@bp.post("/events/<slug>/zoom/fix")
@require_role(UserRole.ORGANISER)
def zoom_setup_fix(slug: str):
    checked_action_form()
    event = event_or_404(slug)
    result = _run(event, lambda client: setup.fix_setup(db.session, client, event, now=utcnow(),
                                                        actor=current_account(), ip=client_ip()))
    if result is None:
        return redirect(_page_url(event), code=303)
    if not result.updated:
        flash(_("Nothing could be fixed automatically."), "info")
    else:
        flash(_("Zoom was updated: %(n)d setting(s) fixed.", n=len(result.fixed)), "success")
    if result.not_applied:
        flash(_("Zoom accepted some changes but did not apply them: %(items)s. The host's plan may lack the feature, "
                "or the languages must first be added in Zoom's web portal.",
                items="; ".join(setup_text.finding_title(code) for code in result.not_applied)), "error")
    return redirect(_page_url(event), code=303)


@bp.post("/events/<slug>/zoom/push-interpreters")
@require_role(UserRole.ORGANISER)
def zoom_push_interpreters(slug: str):
    checked_action_form()
    event = event_or_404(slug)
    report = _run(event, lambda client: setup.push_interpreters(
        db.session, client, event, now=utcnow(), actor=current_account(), ip=client_ip()))
    if report is not None:
        flash(_("The interpreters were sent to Zoom."), "success")
        if any(f.code in ("interpreters_differ", "interpretation_off") for f in report.findings):
            flash(_("Zoom did not take the interpreters as sent: the host's plan may lack language interpretation, "
                    "or the languages must first be added in Zoom's web portal."), "error")
    return redirect(_page_url(event), code=303)


@bp.post("/events/<slug>/zoom/create")
@require_role(UserRole.ORGANISER)
def zoom_create_meeting(slug: str):
    event = event_or_404(slug)
    form = CreateMeetingForm()
    if not form.validate_on_submit():
        return _render(event, create_form=form, status=422)
    result = _run(event, lambda client: setup.create_zoom_meeting(
        db.session, client, event, kind=form.kind.data, host=form.host.data or "me", now=utcnow(),
        actor=current_account(), ip=client_ip()))
    if result is not None:
        flash(_("Created at Zoom with ID %(id)s and linked to this event.", id=result.zoom_id), "success")
        if result.error is not None:
            flash(setup_text.error_message(result.error, zoom_id=result.zoom_id), "error")
    return redirect(_page_url(event), code=303)


# -- interpreters --------------------------------------------------------------------------------

def _interpreter_or_404(event: Event, interpreter_id: int):
    interpreter = interpreter_services.get_interpreter(db.session, event, interpreter_id)
    if interpreter is None:
        abort(404)
    return interpreter


def _save_interpreter(event: Event, form: InterpreterForm, interpreter=None) -> bool:
    """Validate and save; on refusal put the message on the form field and return False."""
    if not form.validate_on_submit():
        return False
    values = {"email": form.email.data, "name": form.name.data or "", "languages": form.language_codes(),
              "now": utcnow(), "actor": current_account(), "ip": client_ip()}
    try:
        if interpreter is None:
            interpreter_services.add_interpreter(db.session, event, **values)
        else:
            interpreter_services.update_interpreter(db.session, event, interpreter, **values)
        db.session.commit()
        return True
    except interpreter_services.InterpreterInputError as exc:
        db.session.rollback()
        getattr(form, exc.field).errors.append(INTERPRETER_MESSAGES.get(exc.code, exc.code))
    except IntegrityError:  # the same email entered at the same moment by someone else
        db.session.rollback()
        form.email.errors.append(INTERPRETER_MESSAGES["duplicate"])
    return False


@bp.post("/events/<slug>/zoom/interpreters")
@require_role(UserRole.ORGANISER)
def zoom_interpreter_add(slug: str):
    event = event_or_404(slug)
    form = InterpreterForm(event_languages=list(event.languages or []))
    if not _save_interpreter(event, form):
        return _render(event, interpreter_form=form, status=422)
    flash(_("Interpreter added. Send the interpreters to Zoom when the list is complete."), "success")
    return redirect(_page_url(event) + "#interpreters", code=303)


@bp.route("/events/<slug>/zoom/interpreters/<int:interpreter_id>/edit", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def zoom_interpreter_edit(slug: str, interpreter_id: int):
    event = event_or_404(slug)
    interpreter = _interpreter_or_404(event, interpreter_id)
    data = None
    if request.method == "GET":
        data = {"email": interpreter.email, "name": interpreter.name,
                "languages": pair_value(interpreter.language_a, interpreter.language_b)}
    form = InterpreterForm(data=data, event_languages=list(event.languages or []))
    if request.method == "POST":
        if _save_interpreter(event, form, interpreter):
            flash(_("Interpreter updated. Send the interpreters to Zoom again."), "success")
            return redirect(_page_url(event) + "#interpreters", code=303)
        status = 422
    else:
        status = 200
    return render_template("admin/zoom/interpreter_edit.html", event=event, interpreter=interpreter,
                           form=form), status


@bp.post("/events/<slug>/zoom/interpreters/<int:interpreter_id>/delete")
@require_role(UserRole.ORGANISER)
def zoom_interpreter_delete(slug: str, interpreter_id: int):
    checked_action_form()
    event = event_or_404(slug)
    interpreter = _interpreter_or_404(event, interpreter_id)
    interpreter_services.remove_interpreter(db.session, event, interpreter, now=utcnow(),
                                            actor=current_account(), ip=client_ip())
    db.session.commit()
    flash(_("Interpreter removed. Send the interpreters to Zoom again."), "success")
    return redirect(_page_url(event) + "#interpreters", code=303)
