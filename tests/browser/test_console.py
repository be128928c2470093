"""An organiser signs in to the console in a real browser and exports the attendee list."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import console_available

pytestmark = pytest.mark.browser


def test_organiser_signs_in_and_exports_registrations(browser_app, new_page, organiser, make_event, make_registration):
    if not console_available(browser_app):
        pytest.skip("the organiser console is not built yet")
    email, password = organiser
    slug = make_event(title="Export panel")
    make_registration(slug, first_name="Ngozi", last_name="Okafor", language="fr")
    make_registration(slug, first_name="Mateo", last_name="Rojas", language="es")

    page = new_page(locale="en-GB")
    page.goto(f"/admin/events/{slug}/registrations")
    expect(page).to_have_url(re.compile(r"/admin/login\b"))  # the console asks who you are first
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Back where the organiser was going, with the registrations listed.
    expect(page).to_have_url(re.compile(rf"/admin/events/{slug}/registrations"))
    expect(page.get_by_role("main").get_by_text("Okafor").first).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert any("Okafor" in cell for cell in rows[1] + rows[2]) and any("Rojas" in cell for cell in rows[1] + rows[2])
    assert len(rows) == 3  # header + two registrants

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export Excel").click()
    workbook = download_info.value
    assert workbook.suggested_filename.endswith(".xlsx")
    with open(workbook.path(), "rb") as f:
        assert f.read(2) == b"PK"  # an Office Open XML zip
