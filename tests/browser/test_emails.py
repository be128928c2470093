"""Every kind of email, as its HTML part renders in Chromium at 360 and 600 px, in English,
French and Spanish: no horizontal scrolling, the join button on screen, the organisation's
name still there with images off, and nothing serious for axe-core. Screenshots go to
BROWSER_SCREENSHOTS (or a temporary folder) for a human to look at."""

from __future__ import annotations

import pytest

from panel_app.extensions import db
from tests.browser.conftest import AXE_JS, screenshot_dir
from tests.mail.kinds import INVITE_KINDS, IPU, render_every_kind

WIDTHS = (360, 600)
NAMES = {"en": "Inter-Parliamentary Union", "fr": "Union interparlementaire", "es": "Unión Interparlamentaria"}


@pytest.fixture
def ipu_app(browser_app, base_url, monkeypatch, tmp_path, browser):
    """The browser app as the IPU's deployment, with a logo the served app hands out."""
    for name, value in IPU.items():
        monkeypatch.setitem(browser_app.config, name, value)
    monkeypatch.setitem(browser_app.config, "BASE_URL", base_url)
    # A logo drawn by Chromium from the site's own icon (PNG, as mail clients need).
    page = browser.new_page(viewport={"width": 120, "height": 120})
    page.goto(f"{base_url}/static/favicon.svg")
    logo = tmp_path / "logo.png"
    page.screenshot(path=str(logo), clip={"x": 0, "y": 0, "width": 96, "height": 96}, omit_background=True)
    page.close()
    monkeypatch.setitem(browser_app.config, "ORGANISATION_LOGO", str(logo))
    return browser_app


def _html_of(message) -> str:
    return message.get_body(("html",)).get_content()


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_every_email_reads_well_at_360_and_600_px_with_and_without_images(ipu_app, base_url, browser, language,
                                                                         tmp_path):
    if not AXE_JS.exists():
        pytest.skip(f"{AXE_JS} missing (npm install): accessibility checks skipped")
    with ipu_app.app_context():
        emails = render_every_kind(db, ipu_app, language)
        htmls = {kind: _html_of(message) for kind, (_, message) in emails.items()}
        db.session.remove()
    shots = screenshot_dir() or tmp_path
    problems = []
    for images in (True, False):
        context = browser.new_context(viewport={"width": 600, "height": 900})
        # Each email is opened as a page of the served app (what a webmail shows, with the
        # logo fetched from the app like a mail client does); with images off, none loads.
        context.route(f"{base_url}/__email/*", lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=htmls[route.request.url.rsplit("/", 1)[1]]))
        if not images:
            context.route("**/organisation/logo-*", lambda route: route.abort())
        page = context.new_page()
        for kind in htmls:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"{base_url}/__email/{kind}", wait_until="load")
                label = f"{language}-{kind}-{width}{'' if images else '-no-images'}"
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    problems.append(f"{label}: {scroll} px wide")
                header = page.locator("td", has_text=NAMES[language]).first
                if not header.is_visible():
                    problems.append(f"{label}: the organisation's name is not shown")
                if kind in INVITE_KINDS:
                    button = page.get_by_role("link", name={"en": "Join the panel on Zoom",
                                                            "fr": "Rejoindre la table ronde sur Zoom",
                                                            "es": "Unirse al panel en Zoom"}[language])
                    box = button.bounding_box()
                    if box is None or box["x"] < 0 or box["x"] + box["width"] > width:
                        problems.append(f"{label}: join button off screen ({box})")
                if images:
                    logo = page.locator("img").first
                    if page.locator("img").count() != 1 or not logo.evaluate("i => i.complete && i.naturalWidth > 0"):
                        problems.append(f"{label}: logo not loaded")
                    page.add_script_tag(path=str(AXE_JS))
                    violations = page.evaluate("""async () => (await axe.run(document, {
                        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                        resultTypes: ['violations']})).violations
                        .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)""")
                    if violations:
                        problems.append(f"{label}: axe {violations}")
                page.screenshot(path=str(shots / f"email-{label}.png"), full_page=True)
        context.close()
    assert not problems, "\n".join(problems)
