"""The console's speakers page (admin/speakers): organisers add, edit and remove speakers."""

from __future__ import annotations

import io

import sqlalchemy as sa

from panel_app.models import AuditEntry, EventSpeaker
from tests.conftest import csrf_from
from tests.organisation.test_identity import png_bytes


def _post(client, url, data, photo=None, form_url=None):
    body = {"csrf_token": csrf_from(client, form_url or url), **data}
    if photo is not None:
        body["photo"] = (io.BytesIO(photo[0]), photo[1])
    return client.post(url, data=body, content_type="multipart/form-data")


def test_organiser_adds_a_speaker_with_photo_and_functions_per_language(signed_in, make_event, browser, db):
    organiser, _ = signed_in("organiser")
    event = make_event()
    url = f"/admin/events/{event.slug}/speakers"
    response = _post(organiser, url, {"name": "María-José Ñúñez-Öztürk", "role": "speaker",
                                      "function": "Member of the Congress of Deputies, Spain",
                                      "function_fr": "Membre du Congrès des députés, Espagne", "position": "2"},
                     photo=(png_bytes(), "portrait.png"))
    assert response.status_code == 303
    _post(organiser, url, {"name": "Amina Diallo", "role": "moderator", "function": "Secretary General"})
    speaker = db.session.scalars(sa.select(EventSpeaker).where(EventSpeaker.role == "speaker")).one()
    assert speaker.translations == {"fr": "Membre du Congrès des députés, Espagne"}
    visitor = browser()
    page = visitor.get(f"/events/{event.slug}?lang=fr").get_data(as_text=True)
    assert "Membre du Congrès des députés, Espagne" in page and speaker.photo_path in page
    photo = visitor.get(speaker.photo_path)
    assert photo.status_code == 200 and photo.mimetype == "image/png" and photo.data == png_bytes()
    assert visitor.get("/speakers/photo-" + "0" * 32 + ".png").status_code == 404
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert "speaker.add" in actions


def test_organiser_edits_and_removes_a_speaker(signed_in, make_event, db, post):
    organiser, _ = signed_in("organiser")
    event = make_event()
    speaker = EventSpeaker(event_id=event.id, role="speaker", name="Kofi Mensah", function="MP, Ghana",
                           translations={}, photo_type="", photo_digest="")
    db.session.add(speaker)
    db.session.commit()
    edit_url = f"/admin/events/{event.slug}/speakers/{speaker.id}"
    assert _post(organiser, edit_url, {"name": "Kofi Mensah", "role": "moderator", "function": "MP, Ghana",
                                       "function_es": "Diputado, Ghana"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(EventSpeaker, speaker.id).role == "moderator"
    removed = post(organiser, f"{edit_url}/remove", form_url=f"/admin/events/{event.slug}/speakers")
    assert removed.status_code == 303
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventSpeaker)) == 0


def test_bad_speaker_input_is_explained_never_a_500(signed_in, make_event, db):
    organiser, _ = signed_in("organiser")
    event = make_event()
    url = f"/admin/events/{event.slug}/speakers"
    response = _post(organiser, url, {"name": "Kofi\u202eMensah", "role": "panellist", "position": "x"},
                     photo=(b"<svg/>", "photo.svg"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventSpeaker)) == 0


def test_viewers_see_speakers_but_cannot_change_them(signed_in, make_event):
    viewer, _ = signed_in("viewer")
    event = make_event()
    url = f"/admin/events/{event.slug}/speakers"
    page = viewer.get(url)
    assert page.status_code == 200 and "Add a speaker" not in page.get_data(as_text=True)
    assert _post(viewer, url, {"name": "Someone", "role": "speaker"}, form_url=url).status_code == 403
