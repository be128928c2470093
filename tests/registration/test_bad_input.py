"""Bad input on the public pages: a clear message in the layout, never a 500, nothing written."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panel_app.models import Registration
from tests.conftest import csrf_from
from tests.factories import registration_form_data

REQUIRED_FIELDS = {
    # field: (message, id the summary links to)
    "first_name": ("Enter your first name.", "first_name"),
    "last_name": ("Enter your last name.", "last_name"),
    "email": ("Enter your email address.", "email"),
    "country": ("Choose your country from the list.", "country"),
    "affiliation_type": ("Choose who you are attending on behalf of.", "affiliation_type-0"),
    "role": ("Choose your role.", "role-0"),
    "language": ("Choose one of the interpretation languages offered.", "language-0"),
    "consent": ("Please agree to the use of your details so we can register you.", "consent"),
}


@pytest.fixture
def event(make_event):
    return make_event(languages=["en", "fr"])


@pytest.fixture
def post(client, submit_form, event, register_url):
    """POST the form with a valid CSRF token; returns (response, html)."""

    def send(data):
        response = submit_form(client, register_url(event), data)
        return response, response.get_data(as_text=True)

    return send


def assert_field_error(html: str, field: str, message: str, target_id: str) -> None:
    """The message sits next to the field, the control points at it, and the summary links to it."""
    error_id = f"{field}-error"
    match = re.search(rf'<p class="field-error" id="{error_id}">(.*?)</p>', html, re.S)
    assert match, f"no error message for {field}"
    assert message in html_lib.unescape(match.group(1))
    controls = re.findall(rf'<(?:input|select|textarea)\b[^>]*\bname="{field}"[^>]*>', html)
    assert controls, f"no control named {field}"
    for control in controls:
        assert 'aria-invalid="true"' in control, control
        described = re.search(r'aria-describedby="([^"]+)"', control)
        assert described and error_id in described.group(1).split(), control
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary, "no error summary"
    assert f'href="#{target_id}"' in summary.group(1)
    assert re.search(rf'\bid="{re.escape(target_id)}"', html), f"summary link target #{target_id} missing"


def assert_nothing_written(db) -> None:
    db.session.expire_all()
    assert db.session.query(Registration).count() == 0


@pytest.mark.parametrize("field", sorted(REQUIRED_FIELDS))
def test_missing_field_is_marked_next_to_the_field(post, db, field):
    response, html = post(registration_form_data(**{field: None}))
    assert response.status_code == 422
    message, target = REQUIRED_FIELDS[field]
    assert_field_error(html, field, message, target)
    assert "<title>Error:" in html
    assert_nothing_written(db)


@pytest.mark.parametrize("field", ["first_name", "last_name", "email"])
def test_blank_spaces_count_as_missing(post, db, field):
    response, html = post(registration_form_data(**{field: "   "}))
    assert response.status_code == 422
    assert_field_error(html, field, REQUIRED_FIELDS[field][0], field)
    assert_nothing_written(db)


def test_empty_submission_lists_every_problem_once(post, db):
    response, html = post({})
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert summary.count("<li>") == len(REQUIRED_FIELDS)
    assert_nothing_written(db)


@pytest.mark.parametrize(
    "field, value, message, target",
    [
        ("email", "not-an-email", "Enter an email address like", "email"),
        ("email", "amina diallo@parliament.example", "Enter an email address like", "email"),
        ("email", "amina@", "Enter an email address like", "email"),
        ("email", "a" * 400 + "@parliament.example", "Please keep this under 320 characters.", "email"),
        ("country", "XX", "Choose your country from the list.", "country"),
        ("country", "sn", "Choose your country from the list.", "country"),
        ("affiliation_type", "senator", "Choose who you are attending on behalf of.", "affiliation_type-0"),
        ("role", "king", "Choose your role.", "role-0"),
        ("language", "es", "Choose one of the interpretation languages offered.", "language-0"),
        ("language", "de", "Choose one of the interpretation languages offered.", "language-0"),
        ("salutation", "Lord", "Not a valid choice", "salutation"),
        ("consent", "n", "Please agree to the use of your details", "consent"),
    ],
)
def test_malformed_values_are_refused_with_a_message(post, db, field, value, message, target):
    response, html = post(registration_form_data(**{field: value}))
    assert response.status_code == 422
    assert_field_error(html, field, message, target)
    assert_nothing_written(db)


@pytest.mark.parametrize("field", ["first_name", "last_name", "organisation", "committees", "accessibility_needs"])
def test_ten_thousand_characters_are_refused_clearly(post, db, field):
    response, html = post(registration_form_data(**{field: "x" * 10_000}))
    assert response.status_code == 422
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert match and "Please keep this under" in match.group(1)
    assert "x" * 10_000 in html  # nothing lost: the text is kept so the person can shorten it
    assert_nothing_written(db)


@pytest.mark.parametrize("value", ["Ami\x00na", "Amina\x07", "Amina\x1b[31m", "Ami\u0085na", "Amina\nDiallo"])
def test_control_characters_in_names_are_refused(post, db, value):
    response, html = post(registration_form_data(first_name=value))
    assert response.status_code == 422
    assert_field_error(html, "first_name", "cannot be used here", "first_name")
    assert_nothing_written(db)


def test_control_characters_in_email_are_refused(post, db):
    response, html = post(registration_form_data(email="amina\x00@parliament.example"))
    assert response.status_code == 422
    assert_field_error(html, "email", "Enter an email address like", "email")
    assert_nothing_written(db)


def test_newlines_are_fine_in_accessibility_needs(post, registrations):
    needs = "Captions, please.\r\nAnd a sign-language interpreter."
    response, _ = post(registration_form_data(accessibility_needs=needs))
    assert response.status_code == 303
    assert registrations()[0].accessibility_needs == "Captions, please.\nAnd a sign-language interpreter."


@pytest.mark.parametrize(
    "first_name, last_name",
    [
        ("Nguyễn", "Thị Minh"),
        ("Siobhán", "O'Brien"),
        ("Jean-Pierre", "Ngoy-Bâ"),
        ("محمد", "العلي"),
        ("Zoë", "Ἀλέξανδρος"),  # mixed scripts
        ("李", "小龙"),
        ("Ана-Марія", "Żółć"),
        ("\u200fمحمد\u200f", "Diallo"),  # right-to-left marks kept
    ],
)
def test_real_names_are_accepted_and_stored_nfc(post, registrations, first_name, last_name):
    decomposed = unicodedata.normalize("NFD", first_name)
    response, _ = post(registration_form_data(first_name=decomposed, last_name=unicodedata.normalize("NFD", last_name)))
    assert response.status_code == 303
    [row] = registrations()
    assert row.first_name == unicodedata.normalize("NFC", first_name)
    assert row.last_name == unicodedata.normalize("NFC", last_name)
    assert unicodedata.is_normalized("NFC", row.first_name)


def test_names_with_markup_are_stored_as_text_and_escaped(client, post, registrations):
    response, _ = post(registration_form_data(first_name="<script>alert(1)</script>"))
    assert response.status_code == 303
    assert registrations()[0].first_name == "<script>alert(1)</script>"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_email_with_spaces_and_capitals_is_trimmed_and_keyed_case_insensitively(post, registrations):
    response, _ = post(registration_form_data(email="  Amina.Diallo@PARLIAMENT.example \t"))
    assert response.status_code == 303
    [row] = registrations()
    assert row.email == "Amina.Diallo@parliament.example"  # the person's own spelling, domain lower-cased
    assert row.email_normalized == "amina.diallo@parliament.example"


@pytest.mark.parametrize("csrf", [None, "forged-token", "IjAxMjM0NTY3ODki.ZZZZZZ.abcdefghijklmnopqrstuvwxyz0"])
def test_missing_or_forged_csrf_rerenders_form_with_data_kept(client, event, register_url, db, csrf):
    client.get(register_url(event))  # the browser has a session
    data = registration_form_data(first_name="Siobhán", last_name="O'Brien", organisation="Dáil Éireann")
    if csrf is not None:
        data["csrf_token"] = csrf
    response = client.post(register_url(event), data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This form expired before it was sent" in html
    assert 'value="Siobhán"' in html and 'value="O&#39;Brien"' in html and 'value="Dáil Éireann"' in html
    assert 'value="fr" checked' in html or re.search(r'checked[^>]*value="fr"', html)
    # The re-rendered form carries a fresh, valid token, so sending it again works.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post(register_url(event), data={**data, "csrf_token": token}).status_code == 303
    assert db.session.query(Registration).count() == 1


def test_csrf_token_from_another_browser_is_refused(browser, event, register_url, db):
    alice, mallory = browser(), browser()
    stolen = csrf_from(alice, register_url(event))
    mallory.get(register_url(event))
    response = mallory.post(register_url(event), data={**registration_form_data(), "csrf_token": stolen})
    assert response.status_code == 422
    assert_nothing_written(db)


def test_post_without_any_session_cookie_is_refused(client, event, register_url, db):
    response = client.post(register_url(event), data={**registration_form_data(), "csrf_token": "x"})
    assert response.status_code == 422
    assert "This form expired" in response.get_data(as_text=True)
    assert_nothing_written(db)


@pytest.mark.parametrize(
    "url",
    [
        "/events/no-such-panel",
        "/events/no-such-panel/register",
        "/events/" + "a" * 5000,
        "/events/%00",
        "/events/bad%00slug/register",
        "/events/%E2%80%AEevil",
        "/registrations/not-a-token",
        "/registrations/" + "t" * 5000,
        "/registrations/%00",
        "/no/such/page",
    ],
)
def test_unknown_addresses_get_the_404_page_in_the_layout(client, url):
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<header class="site-header">' in html and "Page not found" in html


def test_cancel_with_unknown_token_is_404(client, event, register_url):
    token = csrf_from(client, register_url(event))
    response = client.post("/registrations/not-a-token/cancel", data={"csrf_token": token})
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_oversized_body_gets_413_page_in_layout(client, app, event, register_url, db):
    token = csrf_from(client, register_url(event))
    too_big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        register_url(event), data={**registration_form_data(accessibility_needs=too_big), "csrf_token": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert '<header class="site-header">' in html and "Too much data" in html
    assert_nothing_written(db)


def test_oversized_multipart_body_gets_413(client, app, event, register_url, db):
    import io

    token = csrf_from(client, register_url(event))
    data = {
        **registration_form_data(),
        "csrf_token": token,
        "upload": (io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)), "a.bin"),
    }
    response = client.post(register_url(event), data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert_nothing_written(db)


def test_wrong_method_gets_405_page(client, event):
    response = client.delete(f"/events/{event.slug}/register")
    assert response.status_code == 405
    assert '<header class="site-header">' in response.get_data(as_text=True)


def test_unknown_page_language_falls_back_to_english(client, event, register_url):
    response = client.get(register_url(event) + "?lang=xx%00", headers={"Accept-Language": "!!!;q=abc"})
    assert response.status_code == 200
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_repeated_fields_use_the_first_value(post, registrations):
    from werkzeug.datastructures import MultiDict

    data = MultiDict(registration_form_data())
    data.add("country", "XX")
    response, _ = post(data)
    assert response.status_code == 303
    assert registrations()[0].country == "SN"


_any_text = st.text(st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["", " ", "x" * 400, "\x00", "SN", "mp", "en"]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({name: _any_text for name in [*REQUIRED_FIELDS, "salutation", "committees"]}))
def test_arbitrary_input_never_causes_a_server_error(client, event, register_url, values):
    token = csrf_from(client, register_url(event))
    response = client.post(register_url(event), data={**values, "csrf_token": token})
    assert response.status_code in (200, 303, 422), response.status_code


def test_a_submission_with_only_the_contract_fields_registers(post, registrations):
    """Other tools post exactly the fields DESIGN.md lists; the organisation is optional."""
    data = registration_form_data(
        first_name="María-José",
        last_name="Ñúñez-Öztürk",
        email="MJ.Nunez@Cortes.example",
        country="ES",
        affiliation_type="associate_member",
        role="staff",
        language="fr",
    )
    contract = {
        k: data[k]
        for k in ("first_name", "last_name", "email", "country", "affiliation_type", "role", "language", "consent")
    }
    response, _ = post(contract)
    assert response.status_code == 303
    [row] = registrations()
    assert response.headers["Location"].startswith("/registrations/")
    assert (row.first_name, row.last_name, row.email, row.email_normalized) == (
        "María-José",
        "Ñúñez-Öztürk",
        "MJ.Nunez@cortes.example",
        "mj.nunez@cortes.example",
    )
    assert (row.country, row.affiliation_type, row.role, row.language) == ("ES", "associate_member", "staff", "fr")
    assert (row.salutation, row.organisation, row.committees, row.accessibility_needs) == ("", "", "", "")
    assert row.status == "confirmed" and row.consent_at is not None and row.privacy_notice_version
