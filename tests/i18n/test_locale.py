"""Which language a visitor sees: switcher (remembered), then Accept-Language, then English."""

from __future__ import annotations

from datetime import datetime, timezone

from panel_app.core.locale import LANGUAGE_COOKIE


def _cookie_names(response) -> set[str]:
    return {header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")}


def test_browser_language_is_used_when_the_visitor_never_chose(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.slug}", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert '<html lang="es">' in html
    assert page.headers["Content-Language"] == "es"
    assert "Inscribirse" in html and "Idiomas" in html


def test_english_is_the_fallback_for_unoffered_languages(client, make_event):
    event = make_event()
    html = client.get(f"/events/{event.slug}", headers={"Accept-Language": "de-CH,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Who may attend" in html


def test_the_form_sets_no_cookie_but_the_session_unless_the_visitor_switches(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.slug}/register", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert "Prénom" in page.get_data(as_text=True)
    assert _cookie_names(page) <= {"session"}
    assert "Accept-Language" in page.headers.get("Vary", "")


def test_the_switcher_choice_is_remembered_over_the_browser_language(client, make_event):
    event = make_event()
    switched = client.get(f"/events/{event.slug}/register?lang=es", headers={"Accept-Language": "fr"})
    assert '<html lang="es">' in switched.get_data(as_text=True)
    cookie = next(h for h in switched.headers.getlist("Set-Cookie") if h.startswith(f"{LANGUAGE_COOKIE}="))
    assert cookie.startswith("lang=es;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie

    later = client.get(f"/events/{event.slug}", headers={"Accept-Language": "fr"})
    assert '<html lang="es">' in later.get_data(as_text=True)
    assert LANGUAGE_COOKIE not in _cookie_names(later)  # already remembered: not re-sent


def test_an_unknown_language_in_the_switcher_is_ignored(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.slug}?lang=xx%3Cscript%3E", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert '<html lang="fr">' in page.get_data(as_text=True)
    assert LANGUAGE_COOKIE not in _cookie_names(page)


def test_switcher_links_keep_the_page_and_its_query(client, make_event):
    event = make_event()
    html = client.get(f"/events/{event.slug}?lang=fr&utm=x").get_data(as_text=True)
    assert f'href="/events/{event.slug}?lang=es&amp;utm=x"' in html
    assert 'lang="fr" hreflang="fr" aria-current="true"' in html


def test_event_times_read_naturally_in_each_language(client, make_event):
    event = make_event(
        starts_at=datetime(2031, 9, 26, 13, 0, tzinfo=timezone.utc),
        ends_at=datetime(2031, 9, 26, 14, 30, tzinfo=timezone.utc),
    )
    expected = {
        "en": "26 September 2031, 15:00</time> – <time",
        "fr": "26 septembre 2031, 15\u00a0h\u00a000</time> – <time",
        "es": "26 de septiembre de 2031, 15:00</time> – <time",
    }
    for lang, text in expected.items():
        html = client.get(f"/events/{event.slug}?lang={lang}").get_data(as_text=True)
        assert text in html, lang
        assert "CEST" in html


def test_event_text_comes_in_the_page_language_with_fallback(client, make_event):
    event = make_event(
        title="Parliamentary solidarity",
        translations={"fr": {"title": "Solidarité parlementaire"}},
    )
    assert "Solidarité parlementaire" in client.get(f"/events/{event.slug}?lang=fr").get_data(as_text=True)
    assert "Parliamentary solidarity" in client.get(f"/events/{event.slug}?lang=es").get_data(as_text=True)


def test_validation_messages_are_in_the_visitor_language(client, make_event, submit_form):
    event = make_event()
    response = submit_form(client, f"/events/{event.slug}/register?lang=es", {"first_name": " "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "El formulario contiene errores" in html
    assert "Escriba su nombre." in html
    assert "Elija su país de la lista." in html


def test_error_pages_follow_the_visitor_language(client):
    html = client.get("/events/no-such-panel", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert "Page introuvable" in html and '<html lang="fr">' in html


def test_outside_a_request_the_default_language_is_used_until_forced(app_context):
    from flask_babel import force_locale, gettext

    from panel_app.core.locale import select_locale

    assert select_locale() == "en"
    with force_locale("fr"):
        assert gettext("Your registration") == "Votre inscription"
    assert gettext("Your registration") == "Your registration"
