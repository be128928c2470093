"""The public privacy notice: controller, contact, legal basis, retention, outside processors."""

from __future__ import annotations

import pytest


@pytest.fixture
def configured(app, monkeypatch):
    for name, value in {
        "ORGANISATION_NAME": "Inter-Parliamentary Union",
        "ORGANISATION_NAMES": {"en": "", "fr": "Union interparlementaire", "es": "Unión Interparlamentaria"},
        "ORGANISATION_CONTACT_EMAIL": "privacy@ipu.example.org",
        "DATA_CONTROLLER_NAME": "Secretariat of the Inter-Parliamentary Union",
        "DATA_CONTROLLER_ADDRESS": "Chemin du Pommier 5\n1218 Le Grand-Saconnex, Geneva",
        "RETENTION_DAYS": 45,
        "ZOOM_ACCOUNT_ID": "acct", "ZOOM_CLIENT_ID": "client",
        "MAIL_SERVER": "smtp.relay.example", "PRIVACY_MAIL_PROCESSOR": "Relay Mail SA, Zurich",
    }.items():
        monkeypatch.setitem(app.config, name, value)


@pytest.mark.parametrize(("lang", "retention", "basis"), [
    ("en", "erased 45 days after the panel ends", "The legal basis is your consent"),
    ("fr", "effacées 45 jours après la fin de la table ronde", "La base juridique est votre consentement"),
    ("es", "se borran 45 días después del final del panel", "La base jurídica es su consentimiento"),
])
def test_notice_names_controller_contact_basis_retention_and_processors(client, configured, lang, retention, basis):
    response = client.get(f"/privacy?lang={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Secretariat of the Inter-Parliamentary Union" in html
    assert "Chemin du Pommier 5\n1218 Le Grand-Saconnex, Geneva" in html
    assert 'href="mailto:privacy@ipu.example.org"' in html
    assert basis in html and retention in html
    assert "Zoom Video Communications, Inc." in html and "Relay Mail SA, Zurich" in html


def test_without_zoom_or_a_relay_no_processor_is_claimed_and_no_retention_says_so(client, app, monkeypatch):
    for name, value in {"ZOOM_ACCOUNT_ID": None, "MAIL_SERVER": None, "RETENTION_DAYS": 0}.items():
        monkeypatch.setitem(app.config, name, value)
    html = client.get("/privacy").get_data(as_text=True)
    assert "Zoom Video Communications" not in html and "process it on our behalf" not in html
    assert "kept until you erase it" in html


def test_the_notice_is_linked_from_every_footer_and_the_consent_sentence(client, make_event):
    event = make_event()
    for path in ("/", f"/events/{event.slug}", f"/events/{event.slug}/register", "/privacy"):
        assert '<a href="/privacy">' in client.get(path).get_data(as_text=True), path
