"""The organisation identity (organisation/services.py): environment defaults, console settings,
logo, colours; shown in the header and footer of every public page."""

from __future__ import annotations

import hashlib
import struct
import zlib

import pytest
import sqlalchemy as sa

from config import load_config
from panel_app.models import AuditEntry, utcnow
from panel_app.organisation import services
from panel_app.organisation.colours import check_brand_colour, contrast_ratio


def png_bytes(width: int = 4, height: int = 2) -> bytes:
    """A real (tiny) PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x0b\x4f\x8a" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("locale", "name"), [
    ("en", "Inter-Parliamentary Union"), ("fr", "Union interparlementaire"), ("es", "Unión Interparlamentaria"),
    ("de", "Inter-Parliamentary Union"),
])
def test_identity_names_the_organisation_in_each_language_from_the_environment(db, ipu_environment, locale, name):
    found = services.identity(db.session, locale)
    assert found.name == name
    assert found.short_name == "IPU" and found.contact_email == "events@ipu.example.org"
    assert found.controller_name == name  # the data controller defaults to the organisation
    assert found.logo_url is None and found.colours.primary == "#0b4f8a"


def test_console_settings_override_the_environment_field_by_field(db, ipu_environment):
    services.update_settings(db.session, services.IdentityInput(
        names={"en": "", "fr": "Union interparlementaire (UIP)", "es": ""}, contact_email="Panels@IPU.example.org",
        colour="#6A1B4D"), actor="test", now=utcnow())
    db.session.commit()
    services.forget_cached_identity()
    fr, es = services.identity(db.session, "fr"), services.identity(db.session, "es")
    assert fr.name == "Union interparlementaire (UIP)"
    assert es.name == "Unión Interparlamentaria"  # not set in the console: the environment's
    assert fr.contact_email == "Panels@ipu.example.org"  # domain normalised
    assert fr.colours.primary == "#6a1b4d" and fr.version == 1
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "settings.identity")).one()
    assert set(audit.details["changed"]) == {"names", "contact_email", "colour"}


@pytest.mark.parametrize("colour", ["#ffbf47", "#00a0e3", "#777777"])
def test_brand_colours_white_text_cannot_read_on_are_refused(db, colour):
    assert contrast_ratio(colour, "#ffffff") < 4.5
    with pytest.raises(services.IdentityError) as refused:
        services.update_settings(db.session, services.IdentityInput(names={}, colour=colour), actor="test",
                                 now=utcnow())
    assert refused.value.errors == {"colour": "low_contrast"}
    with pytest.raises(RuntimeError, match="ORGANISATION_COLOUR"):
        load_config({"ORGANISATION_COLOUR": colour})


def test_brand_colours_that_pass_wcag_aa_are_accepted():
    assert check_brand_colour("#0b4f8a") is None and check_brand_colour("#767676") is None  # 4.54:1
    assert "not a colour" in check_brand_colour("blue")


@pytest.mark.parametrize(("field", "value", "code"), [
    ("website", "javascript:alert(1)", "invalid_url"),
    ("contact_email", "not an address", "invalid_email"),
    ("short_name", "IPU\u202e", "bidi_control"),
    ("controller_name", "x" * 301, "too_long"),
])
def test_unusable_identity_values_are_refused_and_nothing_is_saved(db, field, value, code):
    with pytest.raises(services.IdentityError) as refused:
        services.update_settings(db.session, services.IdentityInput(names={"en": "IPU"}, **{field: value}),
                                 actor="test", now=utcnow())
    assert refused.value.errors == {field: code}
    db.session.rollback()
    assert services.identity(db.session, "en").version == 0


def test_uploaded_logo_is_served_at_an_address_made_of_its_digest(db, client, ipu_environment):
    logo = png_bytes()
    services.update_settings(db.session, services.IdentityInput(names={}), logo=logo, actor="test", now=utcnow())
    db.session.commit()
    services.forget_cached_identity()
    found = services.identity(db.session, "en")
    digest = hashlib.sha256(logo).hexdigest()[:32]
    assert found.logo_path == f"/organisation/logo-{digest}.png"
    assert found.logo_url == f"http://panel.test/organisation/logo-{digest}.png"  # absolute, for emails
    response = client.get(found.logo_path)
    assert response.status_code == 200 and response.mimetype == "image/png" and response.data == logo
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get(f"/organisation/logo-{'0' * 32}.png").status_code == 404
    assert client.get("/organisation/logo-%00.png").status_code == 404
    page = client.get("/").get_data(as_text=True)
    assert f'src="{found.logo_path}"' in page


def test_a_file_that_is_not_a_png_or_jpeg_is_refused_as_logo(db):
    with pytest.raises(services.IdentityError) as refused:
        services.update_settings(db.session, services.IdentityInput(names={}), logo=b"<svg onload=alert(1)>",
                                 actor="test", now=utcnow())
    assert refused.value.errors == {"logo": "logo_type"}


def test_logo_from_the_environment_is_read_from_the_instance_folder(db, client, app, monkeypatch, tmp_path):
    logo = png_bytes(8, 8)
    (tmp_path / "logo.png").write_bytes(logo)
    monkeypatch.setitem(app.config, "ORGANISATION_LOGO", str(tmp_path / "logo.png"))
    found = services.identity(db.session, "en")
    assert found.logo_path and client.get(found.logo_path).data == logo
    monkeypatch.setitem(app.config, "ORGANISATION_LOGO", str(tmp_path / "missing.png"))
    services.forget_cached_identity()
    assert services.identity(db.session, "en").logo_path is None  # logged, the site keeps working


@pytest.mark.parametrize(("lang", "name"), [
    ("en", "Inter-Parliamentary Union"), ("fr", "Union interparlementaire"), ("es", "Unión Interparlamentaria"),
])
def test_every_public_page_names_the_organisation_its_contact_and_the_privacy_notice(
        client, make_event, make_registration, ipu_environment, lang, name):
    event = make_event(title="Parliamentary solidarity: Supporting MPs under threat")
    _, token = make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk")
    pages = ["/", f"/events/{event.slug}", f"/events/{event.slug}/register", f"/registrations/{token}",
             f"/registrations/{token}/erase", "/privacy", "/no-such-page"]
    for path in pages:
        response = client.get(path, headers={"Accept-Language": lang})
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 404), path
        assert f'<span class="brand-name">{name}</span>' in html, path
        assert 'href="https://www.ipu.example.org"' in html, path
        assert 'href="mailto:events@ipu.example.org"' in html, path
        assert 'href="/privacy"' in html, path
        assert 'rel="icon"' in html, path


def test_a_change_in_the_console_shows_at_once_on_memoised_event_pages(db, client, make_event, ipu_environment):
    event = make_event()
    assert "Inter-Parliamentary Union" in client.get(f"/events/{event.slug}").get_data(as_text=True)
    services.update_settings(db.session, services.IdentityInput(names={"en": "Union of Parliaments"}),
                             actor="test", now=utcnow())
    db.session.commit()
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert '<span class="brand-name">Union of Parliaments</span>' in html


def test_theme_stylesheet_carries_the_brand_colours(db, client):
    services.update_settings(db.session, services.IdentityInput(names={}, colour="#1d5e20"), actor="t", now=utcnow())
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    path = html.split('href="/organisation/theme-')[1].split('"')[0]
    css = client.get("/organisation/theme-" + path)
    assert css.mimetype == "text/css" and "--brand: #1d5e20" in css.get_data(as_text=True)
    assert "immutable" in css.headers["Cache-Control"]
    assert client.get("/organisation/theme-old.css").headers["Cache-Control"] == "no-cache"


def test_favicon_is_served_instead_of_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
