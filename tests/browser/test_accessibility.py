"""WCAG 2.1 AA in a real browser: axe-core finds no serious or critical violation on each
public page (the three languages taken in turn) and the console's main pages; pages have
one h1 and no skipped heading levels, a working skip link, visible focus, and no sideways
scrolling at 320 px wide or at 200% zoom."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, console_available, in_days, screenshot_dir

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-GB", "fr": "fr-FR", "es": "es-ES"}

HEADINGS_JS = "() => Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map(h => Number(h.tagName[1]))"


def _heading_problems(levels: list[int]) -> list[str]:
    problems = []
    if levels.count(1) != 1:
        problems.append(f"expected one h1, found {levels.count(1)}")
    for previous, current in zip(levels, levels[1:], strict=False):
        if current > previous + 1:
            problems.append(f"h{previous} followed by h{current}")
    return problems


def _audit(page, axe_violations, label: str) -> list[str]:
    """Everything wrong with the page currently shown, as readable lines."""
    folder = screenshot_dir()
    if folder:  # for a human to look at: BROWSER_SCREENSHOTS=/tmp/shots
        name = f"{page.locator('html').get_attribute('lang')}-{label.replace(' ', '-')}.png"
        page.screenshot(path=str(folder / name), full_page=True)
    problems = [f"{label}: axe {v['impact']} {v['id']} ({v['help']}) at {v['targets']}" for v in axe_violations(page)]
    problems += [f"{label}: {p}" for p in _heading_problems(page.evaluate(HEADINGS_JS))]
    return problems


def _public_pages(page, slug: str, closed_slug: str, token: str) -> list[tuple[str, callable]]:
    """(label, action) pairs that bring each public page on screen."""

    def submit_empty_form():
        page.goto(f"/events/{slug}/register")
        page.locator("form.registration-form button[type=submit]").click()
        expect(page.locator("#error-summary")).to_be_visible()
        # The answer's stylesheets too: measured before they apply, the bare form (the country
        # list's intrinsic width) is wider than a phone, as happened on a loaded CI machine.
        page.wait_for_load_state("load")

    return [
        ("panel list", lambda: page.goto("/")),
        ("event page", lambda: page.goto(f"/events/{slug}")),
        ("registration form", lambda: page.goto(f"/events/{slug}/register")),
        ("form with errors", submit_empty_form),
        ("registration closed", lambda: page.goto(f"/events/{closed_slug}/register")),
        ("registrant page", lambda: page.goto(f"/registrations/{token}")),
        ("privacy notice", lambda: page.goto("/privacy")),
        ("not found", lambda: page.goto("/events/no-such-panel")),
    ]


@pytest.fixture
def public_data(make_event, make_registration):
    slug = make_event(capacity=50)
    closed_slug = make_event(registration_closes_at=in_days(-1))
    token = make_registration(slug, language="es")
    return slug, closed_slug, token


PAGE_LABELS = ["panel list", "event page", "registration form", "form with errors", "registration closed",
               "registrant page", "privacy notice", "not found"]


@pytest.mark.parametrize(
    "label, lang", [(label, list(LOCALES)[i % 3]) for i, label in enumerate(PAGE_LABELS)] + [("form with errors", "es")]
)
def test_public_page_has_no_serious_accessibility_violations(new_page, axe_violations, public_data, label, lang):
    # Each page once, languages taken in turn (the markup is shared; the words differ).
    page = new_page(locale=LOCALES[lang], bypass_csp=True)  # CSP bypassed only to inject axe
    show = dict(_public_pages(page, *public_data))[label]
    show()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    problems = _audit(page, axe_violations, label)
    assert not problems, "\n".join(problems)


def test_the_accessibility_audit_catches_a_broken_page(new_page, axe_violations):
    page = new_page(bypass_csp=True)
    page.set_content(
        "<!doctype html><html><head><title>t</title></head><body><main><h1>Form</h1><h3>Skipped</h3>"
        "<input type=text><p style='color:#bbb;background:#fff'>faint text</p></main></body></html>"
    )
    problems = "\n".join(_audit(page, axe_violations, "broken"))
    assert "label" in problems and "color-contrast" in problems and "html-has-lang" in problems
    assert "h1 followed by h3" in problems


@pytest.mark.parametrize("width", [320, 640])  # 640 CSS px is a 1280 px window at 200% zoom
def test_public_pages_fit_narrow_screens_and_zoom_without_sideways_scrolling(new_page, public_data, width):
    page = new_page(locale="fr-FR", viewport={"width": width, "height": 700})
    overflowing = []
    for label, show in _public_pages(page, *public_data):
        show()
        folder = screenshot_dir()
        if folder:
            page.screenshot(path=str(folder / f"w{width}-{label.replace(' ', '-')}.png"), full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            overflowing.append(f"{label}: {scroll_width}px wide")
    assert not overflowing, overflowing


def test_skip_link_is_first_visible_on_focus_and_moves_to_the_content(new_page, public_data):
    slug = public_data[0]
    page = new_page(locale="en-GB", viewport=PHONE)
    page.goto(f"/events/{slug}/register")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "skip link must be on screen when focused"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab goes into the page content, not back to the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_focus_is_visible_on_links_fields_and_buttons(new_page, public_data):
    slug = public_data[0]
    page = new_page(locale="en-GB")
    page.goto(f"/events/{slug}/register")
    for selector in ["#first_name", "form.registration-form button[type=submit]", "a[hreflang=fr]"]:
        page.focus(selector)
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
        style = page.eval_on_selector(
            selector, "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
        )
        assert (style[0] != "none" and style[1] != "0px") or style[2] != "none", (selector, style)


@pytest.fixture
def console(browser_app, organiser, make_event, make_registration):
    if not console_available(browser_app):
        pytest.skip("the organiser console is not built yet")
    slug = make_event(title="Console accessibility panel")
    make_registration(slug, language="fr")
    return slug, organiser


def _log_in(page, email: str, password: str) -> None:
    page.goto("/admin/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/(?!login)"))  # signed in and redirected into the console


def test_console_main_pages_have_no_serious_accessibility_violations(new_page, axe_violations, console):
    slug, (email, password) = console
    page = new_page(locale="fr-FR", bypass_csp=True)
    page.goto("/admin/login")
    problems = _audit(page, axe_violations, "login")
    _log_in(page, email, password)
    pages = [
        ("events", "/admin/events"),
        ("dashboard", f"/admin/events/{slug}"),
        ("registrations", f"/admin/events/{slug}/registrations"),
    ]
    for label, url in pages:
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        problems += _audit(page, axe_violations, label)
    assert not problems, "\n".join(problems)
