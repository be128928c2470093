"""Console: letters to parliaments through HTTP: write with the defaults, preview the
recipients and each language, send once (double posts too), follow progress; organisers only."""

from __future__ import annotations

import email
import re
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa

from panel_app.extensions import db as _db
from panel_app.mail import services as mail_services
from panel_app.models import AuditEntry, Notification, Outreach, utcnow
from tests.conftest import csrf_token_from

pytestmark = pytest.mark.usefixtures("empty_queue")
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
FIELD_RE = r'<textarea[^>]*name="{name}"[^>]*>\s*([^<]*)</textarea>'


def _form(page: str, event) -> dict:
    """What the browser posts back: the page's keys and the texts as pre-filled."""
    import html

    data = {"csrf_token": csrf_token_from(page), "submission_key": KEY_RE.search(page).group(1)}
    data["kind"] = re.search(r'name="kind" type="hidden" value="([^"]*)"', page).group(1)
    for code in event.languages:
        data[f"subject_{code}"] = html.unescape(re.search(rf'name="subject_{code}"[^>]*value="([^"]*)"',
                                                          page).group(1))
        data[f"body_{code}"] = html.unescape(re.search(FIELD_RE.format(name=f"body_{code}"), page).group(1))
    data.update(scope="all", affiliation="", region="", country="")
    return data


def _read(folder):
    return [email.message_from_bytes(p.read_bytes(), policy=default_policy) for p in sorted(folder.glob("*.eml"))]


def test_an_organiser_previews_then_sends_an_invitation_to_one_region_once(
        app, db, organiser, make_event, make_directory, outbox):
    event = make_event(title="Parliamentary solidarity: Supporting MPs under threat")
    make_directory(240)
    url = f"/admin/events/{event.slug}/letters/new?kind=invitation"
    page = organiser.get(url).get_data(as_text=True)
    assert "I have the pleasure of inviting {parliament}" in page  # the default letter, ready to edit
    data = _form(page, event)
    data["region"] = "Africa"

    preview = organiser.post(url, data={**data, "action": "preview"})

    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "40 contact(s) in 40 parliament(s) will receive this letter." in html
    assert "Send to 40 contact(s)" in html
    assert "Mme Aïssata Koné-Ouédraogo" in html  # a French-speaking contact shows the French copy
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0

    sent = organiser.post(url, data={**data, "action": "send"})
    again = organiser.post(url, data={**data, "action": "send"})  # the same form posted twice

    assert sent.status_code == 303 and again.status_code == 303
    letter = db.session.scalar(sa.select(Outreach))
    assert sent.headers["Location"].endswith(f"/admin/events/{event.slug}/letters/{letter.id}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Outreach)) == 1
    assert letter.recipient_count == 40 and letter.filters == {"scope": "all", "region": "Africa"}
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "letter.send"))
    assert audit.details["recipients"] == 40 and audit.event_id == event.id
    with app.app_context():
        assert mail_services.deliver_until_done(_db.session, now_fn=utcnow).sent == 40
    mails = _read(outbox)
    assert len(mails) == 40 and len({m["To"].addresses[0].addr_spec for m in mails}) == 40
    progress = organiser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Progress" in progress and re.search(r"<dt>Sent</dt><dd>40</dd>", progress)
    listing = organiser.get(f"/admin/events/{event.slug}/letters").get_data(as_text=True)
    assert "Invitation" in listing and letter.created_by in listing


def test_a_letter_with_an_unknown_placeholder_or_a_missing_text_is_sent_back_with_the_reason(
        db, organiser, make_event, make_directory):
    event = make_event()
    make_directory(5)
    url = f"/admin/events/{event.slug}/letters/new?kind=coverage_reminder"
    data = _form(organiser.get(url).get_data(as_text=True), event)
    data["scope"] = "unrepresented"
    data["interval_days"] = "7"
    data["body_fr"] += "\n{lien_inscription}"
    data["subject_es"] = "   "

    response = organiser.post(url, data={**data, "action": "send"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "Write the subject in Spanish." in html
    response = organiser.post(url, data={**data, "subject_es": "Recordatorio", "action": "send"})
    assert response.status_code == 422
    assert "{lien_inscription}" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_junk_kinds_and_filters_get_a_clear_answer_not_a_crash(db, organiser, make_event, make_directory):
    event = make_event()
    make_directory(3)
    assert organiser.get(f"/admin/events/{event.slug}/letters/new?kind=../../etc").status_code == 404
    url = f"/admin/events/{event.slug}/letters/new?kind=invitation"
    data = _form(organiser.get(url).get_data(as_text=True), event)
    response = organiser.post(url, data={**data, "scope": "everyone; DROP TABLE", "country": "ZZ",
                                         "action": "send"})
    assert response.status_code == 422 and "Traceback" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Outreach)) == 0


def test_viewers_see_letters_but_cannot_write_one(db, signed_in, make_event):
    client, _ = signed_in("viewer")
    event = make_event()
    assert client.get(f"/admin/events/{event.slug}/letters").status_code == 200
    assert client.get(f"/admin/events/{event.slug}/letters/new?kind=invitation").status_code == 403
    assert client.post(f"/admin/events/{event.slug}/letters/new?kind=invitation").status_code in (400, 403)
