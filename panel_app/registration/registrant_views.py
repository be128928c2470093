"""The registrant's private pages (reached by the link in every email): their registration,
language choices, corrections of their details, and cancellation."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from panel_app.extensions import csrf, db
from panel_app.models import EventStatus, Registration, utcnow
from panel_app.registration import services
from panel_app.registration.blueprint import bp, page_locale
from panel_app.registration.forms import CancelForm, DetailsForm, LanguageForm
from panel_app.registration.organisations import organisation_names
from panel_app.security import rate_limit


def _registration_or_404(token: str):
    registration = services.find_by_token(db.session, token)
    if registration is None:
        abort(404)
    return registration


def _registration_page(registration: Registration, token: str, *, status: int = 200, **extra):
    """The registrant's private page, with its language form and links to correct or cancel."""
    language_form = extra.pop("language_form", None) or LanguageForm(
        event_languages=list(registration.event.languages),
        data={"language": registration.language, "email_language": registration.email_language or ""},
    )
    event = registration.event
    return render_template(
        "registration/show.html",
        registration=registration,
        event=event,
        token=token,
        language_form=language_form,
        window=services.registration_window(event, utcnow()),
        locale=page_locale(),
        **extra,
    ), status


def _changeable(registration: Registration) -> bool:
    return registration.is_active and registration.event.status != EventStatus.CANCELLED


@bp.get("/registrations/<token>")
def show(token: str):
    registration = _registration_or_404(token)
    return _registration_page(registration, token)


@bp.post("/registrations/<token>/languages")
@csrf.exempt  # LanguageForm validates the token itself so the page can explain an expired form
def change_languages(token: str):
    registration = _registration_or_404(token)
    form = LanguageForm(event_languages=list(registration.event.languages))
    if not _changeable(registration):
        return _registration_page(registration, token, status=409)
    if not form.validate_on_submit():
        return _registration_page(registration, token, status=422, language_form=form)
    if services.change_languages(
        db.session, registration, language=form.language.data, email_language=form.email_language.data or None,
        now=utcnow(),
    ):
        db.session.commit()
        flash(_("Your language choices are saved."), "success")
    return redirect(url_for("registration.show", token=token), code=303)


def _details_page(registration: Registration, token: str, form: DetailsForm, status: int = 200):
    return render_template("registration/details.html", registration=registration, event=registration.event,
                           token=token, form=form,
                           organisations=organisation_names(db.session, page_locale())), status


@bp.route("/registrations/<token>/details", methods=["GET", "POST"])
@csrf.exempt  # DetailsForm validates the token itself so the page can explain an expired form
@rate_limit("RATELIMIT_REGISTER")
def details(token: str):
    """The registrant corrects their answers (a corrected email moves the registration to it)."""
    registration = _registration_or_404(token)
    if not _changeable(registration):
        return redirect(url_for("registration.show", token=token), code=303)
    if request.method == "GET":
        data = {name: getattr(registration, name) for name in (*services.DETAIL_FIELDS, "email")}
        return _details_page(registration, token, DetailsForm(data=data, locale=page_locale()))
    form = DetailsForm(locale=page_locale())
    if not form.validate_on_submit():
        return _details_page(registration, token, form, 422)
    changed = services.update_details(db.session, registration, form.details(), now=utcnow())
    try:
        moved = services.change_email(db.session, registration, email=form.email.data,
                                      email_normalized=form.email_normalized, now=utcnow(),
                                      secret_key=current_app.config["SECRET_KEY"])
    except services.EmailTaken:
        db.session.rollback()
        form.email.errors.append(_("Another registration for this panel already uses this email address."))
        return _details_page(registration, token, form, 422)
    db.session.commit()
    if moved.created:
        # Flashed messages live in the session cookie until shown: no address in them.
        flash(_("Your details are saved. Your registration now uses the new email address: a new private link "
                "has been sent there, and this page's address has changed."), "success")
        return redirect(url_for("registration.show", token=moved.token), code=303)
    flash(_("Your details are saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("registration.show", token=token), code=303)


@bp.route("/registrations/<token>/cancel", methods=["GET", "POST"])
@csrf.exempt  # CancelForm validates the token itself so the page can explain an expired form
def cancel(token: str):
    """GET asks for confirmation; POST (the page's CSRF token) cancels."""
    registration = _registration_or_404(token)
    event = registration.event
    if request.method == "GET":
        if not registration.is_active:
            return redirect(url_for("registration.show", token=token), code=303)
        return render_template("registration/cancel_confirm.html", registration=registration, event=event,
                               token=token, form=CancelForm())
    form = CancelForm()
    if not form.validate_on_submit():
        return render_template("registration/cancel_confirm.html", registration=registration, event=event,
                               token=token, form=form, expired=True), 400
    change = services.cancel(db.session, registration, now=utcnow(), actor="registrant")
    db.session.commit()
    if change.changed:
        flash(_("Your registration is cancelled. We have sent a confirmation to your email address."), "success")
    return redirect(url_for("registration.show", token=token), code=303)
