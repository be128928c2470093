"""Console pages: the event's letters to directory contacts, a new letter (write, preview,
send) and one letter's progress."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import client_ip, current_account, event_or_404
from panel_app.admin.letters.forms import filters_of, letter_form, texts_of
from panel_app.directory import letters
from panel_app.extensions import db
from panel_app.models import Contact, Notification, Organisation, Outreach, UserRole, utcnow
from panel_app.registration.countries import country_name, sort_key


@bp.route("/events/<slug>/letters", endpoint="letters")
def letters_page(slug: str):
    event = event_or_404(slug)
    sent = letters.letters_for(db.session, event)
    return render_template("admin/letters.html", event=event, sent=sent, figures=letters.progress(db.session, sent),
                           kinds=list(letters.K), kind_labels=letters.KIND_LABELS)


def _directory_choices() -> tuple[list[str], list[tuple[str, str]]]:
    """Regions and (country code, name) pairs the active directory holds."""
    active = Organisation.active.is_(True)
    regions = sorted(r for r in db.session.scalars(sa.select(Organisation.region).where(active).distinct()) if r)
    locale = str(get_locale() or "en")
    codes = [c for c in db.session.scalars(sa.select(Organisation.country).where(active).distinct()) if c]
    countries = sorted(((c, country_name(c, locale) or c) for c in codes), key=lambda pair: sort_key(pair[1]))
    return regions, countries


@bp.route("/events/<slug>/letters/new", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def letter_new(slug: str):
    event = event_or_404(slug)
    kind = request.values.get("kind") or letters.K.INVITATION
    if kind not in letters.SCOPES:
        abort(404)
    regions, countries = _directory_choices()
    form = letter_form(kind, list(event.languages or []), regions=regions, countries=countries)
    errors: list[str] = []
    previews = []
    selection = None
    status = 200
    if not form.is_submitted():
        form.kind.data = kind
        form.submission_key.data = letters.new_submission_key()
        defaults = letters.default_texts(kind, list(event.languages or []))
        for code, text in defaults.items():
            getattr(form, f"subject_{code}").data = text["subject"]
            getattr(form, f"body_{code}").data = text["body"]
        chosen = letters.default_filters(kind)
        form.scope.data = chosen.scope
        if "interval_days" in form:
            form.interval_days.data = str(chosen.interval_days)
    else:
        valid = form.validate()
        texts, filters = texts_of(form), filters_of(form)
        if valid:
            errors = letters.validate(kind, texts, event)
        selection = letters.select_recipients(db.session, event, kind, filters, now=utcnow())
        if valid and not errors and request.form.get("action") == "send":
            try:
                letter, created = letters.send_letter(
                    db.session, event, kind, texts, filters, now=utcnow(), user=current_account(), ip=client_ip(),
                    secret_key=current_app.config["SECRET_KEY"], submission_key=form.submission_key.data)
            except letters.LetterError as refused:
                errors = refused.messages
            else:
                db.session.commit()
                if created:
                    flash(_("Letter queued for %(n)d contact(s).", n=letter.recipient_count), "success")
                else:
                    flash(_("This letter was already sent (the form was sent twice): nobody gets it twice."),
                          "info")
                return redirect(url_for("admin.letter", slug=event.slug, letter_id=letter.id), code=303)
        if valid and not errors:
            previews = letters.preview(db.session, event, kind, texts, selection, config=current_app.config)
        else:
            status = 422
    return render_template("admin/letter_new.html", event=event, form=form, kind=kind,
                           kind_label=letters.KIND_LABELS[kind], errors=errors, selection=selection,
                           previews=previews, placeholders=letters.placeholders_for(kind)), status


@bp.route("/events/<slug>/letters/<int:letter_id>")
def letter(slug: str, letter_id: int):
    event = event_or_404(slug)
    row = db.session.get(Outreach, letter_id)
    if row is None or row.event_id != event.id:
        abort(404)
    figures = letters.progress(db.session, [row])[row.id]
    problems = db.session.execute(
        sa.select(Contact.name, Contact.email, Organisation.name, Notification.state, Notification.last_error,
                  Notification.attempts)
        .join(Contact, Notification.contact_id == Contact.id)
        .join(Organisation, Contact.organisation_id == Organisation.id)
        .where(Notification.outreach_id == row.id, Notification.state.in_(["failed", "skipped", "pending"]),
               sa.or_(Notification.state != "pending", Notification.attempts > 0))
        .order_by(Organisation.name, Contact.id).limit(200)).all()
    return render_template("admin/letter.html", event=event, letter=row, figures=figures, problems=problems,
                           kind_label=letters.KIND_LABELS.get(row.kind, row.kind),
                           scope_labels=letters.SCOPE_LABELS)
