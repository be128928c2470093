"""Fuzzing every form a visitor or an organiser can send, and the query strings of every
filter form: NUL characters, UTF-16 surrogate halves, 100 kB fields and odd Unicode never
give a 5xx, and no NUL or surrogate half is ever stored.

The forms are read from the pages themselves (every <form> on every public page and every
console page of a populated event), so a form added later is fuzzed without a change here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panel_app.models import EventInterpreter, EventSpeaker, WebhookEndpoint
from panel_app.security import UNSTORABLE
from tests.admin.conftest import PASSWORD, sign_in
from tests.clients import new_browser

#: Examples per form; FUZZ_EXAMPLES=300 for a longer hunt (the default keeps the run to seconds).
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 12)), deadline=None,
                suppress_health_check=list(HealthCheck))

ODD_UNICODE = [
    "María-José Ñúñez-Öztürk", "\u202eevil\u202c", "e\u0301\u0301\u0301", "ﬀ@ＥＸＡＭＰＬＥ.com", "１２３", "٣٤٥",
    "\ufeff", "\u200d👩‍👩‍👧", "𝔐𝔞𝔯𝔦𝔞", "ǅ", "\r\n\r\n", "\t", "%00", "' OR 1=1 --", "<script>alert(1)</script>",
    "-1", "99999999999999999999999", "1e309", "NaN", "0x10", "", " ", "2026-02-30 25:61", "Europe/Atlantis",
    "https://zoom.us/j/1?x=\u202e", "javascript:alert(1)",
]
NASTY = st.one_of(
    st.sampled_from(ODD_UNICODE),
    st.sampled_from(ODD_UNICODE).map(lambda text: text[:3] + "\x00" + text[3:]),
    st.sampled_from(["\ud800", "a\udfffb", "\udbff\udc00x"]),  # lone halves, sent as CESU-8 bytes
    st.sampled_from(["é", "ß", "🙂", "a"]).map(lambda ch: ch * 100_000),
    st.text(max_size=40),
)


@dataclass
class Form:
    page: str
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # in page order, defaults first
    choices: dict[str, list[str]] = field(default_factory=dict)


class FormReader(HTMLParser):
    """Every <form> of a page with its fields' names, default values and offered choices."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self._form, self._select, self._textarea = page, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = Form(self.page, (a.get("method") or "get").upper(), a.get("action") or self.page)
            self.forms.append(self._form)
        elif tag == "option" and self._select and self._form is not None:
            self._form.choices.setdefault(self._select, []).append(a.get("value", ""))
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "image", "reset", "file"):
            name, value, kind = a["name"], a.get("value", ""), a.get("type", "text")
            if kind in ("checkbox", "radio"):
                self._form.choices.setdefault(name, []).append(value or "y")
                if "checked" in a or kind == "checkbox":
                    self._form.fields.append((name, value or "y"))
            else:
                self._form.fields.append((name, value))
        elif tag in ("button", "input"):  # a named submit button carries its value
            self._form.choices.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields.append((a["name"], ""))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select:
            if self._form is not None and self._form.choices.get(self._select):
                self._form.fields.append((self._select, self._form.choices[self._select][0]))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form is not None and self._form.fields:
            name, _ = self._form.fields[-1]
            self._form.fields[-1] = (name, data)


def read_forms(client, page: str) -> list[Form]:
    response = client.get(page)
    if response.status_code in (301, 302, 303):
        return []  # e.g. /admin/ leads to the events list, read on its own
    assert response.status_code == 200, page
    reader = FormReader(page)
    reader.feed(response.get_data(as_text=True))
    return reader.forms


def encode(pairs: list[tuple[str, str]]) -> str:
    # Lone surrogate halves go out as the bytes a broken client would send (CESU-8 style).
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")


@st.composite
def mutations(draw, form: Form):
    """The form's own values with up to three fields (or a new one) replaced by nasty text."""
    pairs = [(name, draw(st.sampled_from(form.choices[name])) if name in form.choices else value)
             for name, value in form.fields]
    pairs += [(name, draw(st.sampled_from(options))) for name, options in form.choices.items()
              if name not in dict(pairs)]
    names = sorted({name for name, _ in pairs if not name.endswith("csrf_token")}) or ["extra"]
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        nasty = draw(NASTY)
        pairs = [(n, nasty if n == name else v) for n, v in pairs]
        if name not in dict(pairs):
            pairs.append((name, nasty))
    if draw(st.integers(0, 9)) == 0:
        pairs.append((draw(NASTY)[:50] or "x", draw(NASTY)))
    return pairs


def _fuzz(client, forms: list[Form], fresh=None) -> None:
    """Fuzz each form in turn; `fresh(form)` may give a new copy of it first (e.g. the cancel
    button of a new registrant, so that one example's success does not end the next ones)."""
    for form in forms:
        _fuzz_one(client, form, fresh)
    assert _stored_text_with_nul(client.application) == []


def _fuzz_one(client, form: Form, fresh) -> None:
    @FUZZ
    @given(data=st.data())
    def check(data):
        target = fresh(form) if fresh else form
        pairs = data.draw(mutations(target))
        body = encode(pairs)
        if target.method == "POST":
            response = client.post(target.action, data=body, content_type="application/x-www-form-urlencoded")
        else:
            response = client.get(f"{urlsplit(target.action).path}?{body}")
        assert response.status_code < 500, (target.method, target.action, body[:300])

    check()


def _stored_text_with_nul(app) -> list[str]:
    """Every stored string holding a NUL or a surrogate half (SQLite would keep them; PostgreSQL cannot)."""
    from panel_app.extensions import db

    found = []
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, sa.String)]
            for row in conn.execute(sa.select(*columns)) if columns else ():
                found += [f"{table.name}.{c.name}" for c, value in zip(columns, row, strict=True)
                          if isinstance(value, str) and UNSTORABLE.search(value)]
    return found


@pytest.fixture
def populated(make_event, make_registration, make_user, db):
    """An event with registrants of every status, an interpreter, a moderator and accounts of every role."""
    event = make_event(title="Solidarité parlementaire", capacity=3, approval_mode="manual",
                       join_url="https://zoom.us/j/85012345678")
    tokens = []
    for n, status in enumerate(["confirmed", "pending", "waitlisted", "cancelled", "confirmed"]):
        registration, token = make_registration(event, status=status, first_name=f"María-José {n}",
                                                last_name="Ñúñez-Öztürk", email=f"maria{n}@parliament.example")
        tokens.append((registration, token))
    db.session.add(EventInterpreter(event_id=event.id, email="ines@interpreters.example",
                                    email_normalized="ines@interpreters.example", name="Inès Ò'Brien",
                                    language_a="en", language_b="fr"))
    db.session.add(EventSpeaker(event_id=event.id, role="moderator", name="Amina Diallo",
                                function="Secretary of the Committee on the Human Rights of Parliamentarians",
                                translations={"fr": "Secrétaire du Comité des droits de l'homme des parlementaires"}))
    make_user("viewer", email="viewer@ipu.example.org")
    db.session.add(WebhookEndpoint(url="https://crm.parliament.example/hooks/panel", description="CRM de l'UIP",
                                   event_types=["registration.created"], secret_nonce="0" * 32,
                                   secret_hash="0" * 64, active=True))
    db.session.commit()
    return event, tokens


def test_every_public_form_survives_nasty_input(app, client, make_registration, populated):
    event, tokens = populated
    _, token = tokens[0]
    pages = [f"/events/{event.slug}/register", f"/registrations/{token}", f"/registrations/{token}/cancel",
             f"/registrations/{token}/details", f"/registrations/{token}/erase", "/admin/login",
             f"/events/{event.slug}?lang=fr"]
    forms = [form for page in pages for form in read_forms(client, page)]
    assert {form.action for form in forms if form.method == "POST"} >= {
        f"/events/{event.slug}/register", f"/registrations/{token}/cancel", f"/registrations/{token}/languages",
        f"/registrations/{token}/erase", "/admin/login"}

    def fresh(form: Form) -> Form:
        """The same form of a new registrant (cancelling or erasing ends a registration)."""
        if token not in form.action:
            return form
        _, new_token = make_registration(event, first_name="Inès", last_name="Ò'Brien-Ñúñez")
        page = form.page.replace(token, new_token)
        return next(f for f in read_forms(client, page) if f.action == form.action.replace(token, new_token))

    _fuzz(client, forms, fresh)


def test_every_console_form_survives_nasty_input(app, db, make_user, populated):
    from panel_app.models import Contact, Organisation, Outreach, WalkIn

    event, tokens = populated
    registration, _ = tokens[1]
    walk_in = WalkIn(event_id=event.id, participant_key="n:+41 22 919 41 50", name="+41 22 919 41 50")
    parliament = Organisation(name="Assemblée nationale du Sénégal",
                              translations={"es": "Asamblea Nacional de Senegal"}, country="SN",
                              affiliation_type="member_parliament", region="Africa")
    db.session.add_all([walk_in, parliament])
    db.session.flush()
    contact = Contact(organisation_id=parliament.id, name="Awa Ndiaye-Sène", email="sg@assemblee.sn.example",
                      email_normalized="sg@assemblee.sn.example", function="Secrétaire générale", language="fr")
    letter = Outreach(event_id=event.id, kind="invitation", texts={"en": {"subject": "Invitation", "body": "…"}})
    db.session.add_all([contact, letter])
    db.session.commit()
    make_user("admin", email="admin@ipu.example.org")
    client = new_browser(app)
    assert sign_in(client, "admin@ipu.example.org", PASSWORD).status_code == 303
    values = {"slug": event.slug, "registration_id": registration.id, "user_id": 1, "interpreter_id": 1,
              "speaker_id": 1, "endpoint_id": 1, "walk_in_id": walk_in.id, "organisation_id": parliament.id,
              "contact_id": contact.id, "letter_id": letter.id}
    pages = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("admin.") and "GET" in rule.methods and not rule.rule.endswith(
                    (".csv", ".xlsx", ".json", ".svg", "/login")):
                pages.append(url_for(rule.endpoint, **{k: values[k] for k in rule.arguments}))
    forms = {(form.method, form.action, tuple(name for name, _ in form.fields)): form
             for page in sorted(set(pages)) for form in read_forms(client, page)
             if not form.action.startswith("/admin/logout")}  # signing out would end the run
    forms = list(forms.values())
    posted = {form.action for form in forms if form.method == "POST"}
    assert len(posted) >= 12, posted
    assert {f"/admin/directory/{parliament.id}", f"/admin/events/{event.slug}/letters/new"} <= posted, posted
    assert any(form.method == "GET" for form in forms)  # the list filters
    _fuzz(client, forms)
