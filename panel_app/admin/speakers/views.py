"""Console pages: an event's speakers and moderator (shown on its public page)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import MAX_ROW_ID, checked_action_form, current_account, event_or_404
from panel_app.admin.forms import ActionForm
from panel_app.admin.speakers import services
from panel_app.admin.speakers.forms import ERROR_MESSAGES, SpeakerForm, speaker_data
from panel_app.extensions import db
from panel_app.models import UserRole, utcnow
from panel_app.registration.speakers import event_speakers


def _upload(form: SpeakerForm) -> bytes | None:
    upload = form.photo.data
    return upload.read(services.PHOTO_MAX_BYTES + 1) if upload and getattr(upload, "filename", "") else None


def _explain(form: SpeakerForm, exc: services.SpeakerError) -> None:
    for name, code in exc.errors.items():
        getattr(form, name).errors.append(str(ERROR_MESSAGES.get(code, code)))


@bp.route("/events/<slug>/speakers", methods=["GET", "POST"])
def speakers(slug: str):
    event = event_or_404(slug)
    form = SpeakerForm()
    status = 200
    if request.method == "POST":  # the console's access rule already needs an organiser for a POST
        if form.validate_on_submit():
            try:
                services.add_speaker(db.session, event, form.to_input(), photo=_upload(form), actor=current_account(),
                                     now=utcnow())
            except services.SpeakerError as exc:
                db.session.rollback()
                _explain(form, exc)
            else:
                db.session.commit()
                flash(_("Speaker added."), "success")
                return redirect(url_for("admin.speakers", slug=slug), code=303)
        status = 422
    return render_template("admin/speakers/list.html", event=event, speakers=event_speakers(db.session, event.id),
                           form=form, action_form=ActionForm()), status


def _speaker_or_404(event, speaker_id: int):
    speaker = services.get_speaker(db.session, event, speaker_id) if speaker_id <= MAX_ROW_ID else None
    if speaker is None:
        abort(404)
    return speaker


@bp.route("/events/<slug>/speakers/<int:speaker_id>", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def speaker_edit(slug: str, speaker_id: int):
    event = event_or_404(slug)
    speaker = _speaker_or_404(event, speaker_id)
    form = SpeakerForm(data=None if request.method == "POST" else speaker_data(speaker))
    if form.validate_on_submit():
        try:
            changed = services.update_speaker(db.session, speaker, form.to_input(), photo=_upload(form),
                                              remove_photo=form.remove_photo.data, actor=current_account(),
                                              now=utcnow())
        except services.SpeakerError as exc:
            db.session.rollback()
            _explain(form, exc)
        else:
            db.session.commit()
            flash(_("Speaker updated.") if changed else _("Nothing changed."), "success" if changed else "info")
            return redirect(url_for("admin.speakers", slug=slug), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/speakers/edit.html", event=event, speaker=speaker, form=form), status


@bp.post("/events/<slug>/speakers/<int:speaker_id>/remove")
@require_role(UserRole.ORGANISER)
def speaker_remove(slug: str, speaker_id: int):
    event = event_or_404(slug)
    speaker = _speaker_or_404(event, speaker_id)
    checked_action_form()
    services.remove_speaker(db.session, speaker, actor=current_account(), now=utcnow())
    db.session.commit()
    flash(_("Speaker removed."), "success")
    return redirect(url_for("admin.speakers", slug=slug), code=303)
