"""Public pages of the follow-up questionnaire, reached by a parliament's private link
(`/follow-up/<token>`): the form (also to change answers later) and the thank-you page that shows
what was recorded. An unknown, malformed or revoked token gets the same 404 page as any other."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from panel_app.core.errors import render_error
from panel_app.core.locale import prefer_language
from panel_app.directory import follow_up as services
from panel_app.directory.follow_up_forms import FollowUpForm
from panel_app.directory.links import follow_up_report_by_token
from panel_app.extensions import csrf, db
from panel_app.models import Event, FollowUpReport, utcnow
from panel_app.security import rate_limit

bp = Blueprint("follow_up", __name__)


def _report_or_404(token: str) -> FollowUpReport:
    report = follow_up_report_by_token(db.session, token)
    if report is None:
        # Whatever the reason (mistyped, cut, never existed), one answer: no oracle.
        abort(make_response(*render_error(404, _(
            "This follow-up link is not valid. Check that the whole link from the letter was copied, or ask the "
            "organisers for a new one."))))
    prefer_language(services.reader_language(db.session, report))
    return report


def _page_locale() -> str:
    return str(get_locale() or "en")


def _form_page(report: FollowUpReport, token: str, form: FollowUpForm, status: int = 200):
    return render_template("follow_up/form.html", report=report, event=db.session.get(Event, report.event_id),
                           token=token, form=form, organisation_name=_name(report)), status


def _name(report: FollowUpReport) -> str:
    organisation = report.organisation
    return (organisation.translations or {}).get(_page_locale()) or organisation.name


@bp.route("/follow-up/<token>", methods=["GET", "POST"])
@csrf.exempt  # FollowUpForm checks its own token so the page can explain an expired form and keep the answers
@rate_limit("RATELIMIT_FOLLOW_UP")
def questionnaire(token: str):
    report = _report_or_404(token)
    if request.method == "GET":
        data = FollowUpForm.data_from(services.answers_of(report), name=report.submitted_by,
                                      function=report.submitted_function)
        return _form_page(report, token, FollowUpForm(data=data))
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _form_page(report, token, form, 422)
    services.save_answers(db.session, report, form.answers(), name=form.name.data, function=form.function.data or "",
                          language=_page_locale(), now=utcnow())
    db.session.commit()
    return redirect(url_for("follow_up.thanks", token=token), code=303)


@bp.get("/follow-up/<token>/thanks")
def thanks(token: str):
    report = _report_or_404(token)
    if report.submitted_at is None:
        return redirect(url_for("follow_up.questionnaire", token=token), code=303)
    answers = services.answers_of(report)
    return render_template("follow_up/thanks.html", report=report, event=db.session.get(Event, report.event_id),
                           token=token, organisation_name=_name(report), action_label=services.action_label,
                           taken=[(code, a.text) for code, a in answers.items() if a.taken],
                           notes=[(code, a.text) for code, a in answers.items() if not a.taken and a.text])
