"""Console page: write to the people the registration list's filters select."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from panel_app.admin.blueprint import bp
from panel_app.admin.common import client_ip, current_account, event_or_404, request_filters
from panel_app.admin.messages import services
from panel_app.admin.messages.forms import MessageForm
from panel_app.extensions import db
from panel_app.models import UserRole, utcnow


@bp.route("/events/<slug>/messages", methods=["GET", "POST"])
def messages(slug: str):
    event = event_or_404(slug)
    filters, errors = request_filters(event)
    form = MessageForm()
    if not form.is_submitted():
        form.submission_key.data = services.new_submission_key()
    status = 200
    if errors:
        status = 400
    elif request.method == "POST":
        if not current_user.can(UserRole.ORGANISER):
            abort(403)
        if form.validate_on_submit():
            already = services.message_for_submission(db.session, form.submission_key.data)
            count = services.count_recipients(db.session, event, filters) if already is None else None
            if already is None and count == 0:
                flash(_("No one matches these filters: nothing was sent."), "error")
            else:
                message, created = services.create_group_message(
                    db.session, event, filters, subject=form.subject.data, body=form.body.data,
                    now=utcnow(), user=current_account(), ip=client_ip(), submission_key=form.submission_key.data,
                )
                db.session.commit()
                if created:
                    flash(_("Message queued for %(n)d recipient(s).", n=message.recipient_count), "success")
                else:
                    flash(_("This message was already sent (the form was sent twice): nobody gets it twice."),
                          "info")
                return redirect(url_for("admin.messages", slug=event.slug), code=303)
        status = 422
    count = None if errors else services.count_recipients(db.session, event, filters)
    return render_template(
        "admin/messages.html", event=event, form=form, filters=filters, errors=errors, recipient_count=count,
        sent=services.messages_for(db.session, event),
    ), status
