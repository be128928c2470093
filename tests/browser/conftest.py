"""Real-browser fixtures: the app on its own SQLite file, served over loopback, driven by
Debian's Chromium through Playwright.

One browser for the whole session (launching Chromium costs about a second); each test gets
a fresh context (cookies, storage, viewport), which is cheap. The suite pins SQLite: what
it proves is what the browser sees, and the database layer is covered on both backends
elsewhere. Skipped cleanly when Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from config import PROJECT_ROOT
from panel_app.extensions import db
from tests import factories
from tests.apps import build_app, serving

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ORGANISER_EMAIL = "browser-organiser@example.org"
ORGANISER_PASSWORD = "browser-test-password"
PHONE = {"width": 375, "height": 667}


@pytest.fixture(scope="session")
def _playwright():
    if not (Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium): browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    """One headless Chromium for the session."""
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_app(tmp_path_factory):
    """The app on a throw-away SQLite file, schema built by the migrations."""
    application = build_app(tmp_path_factory.mktemp("browser-instance"))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(browser_app) -> Iterator[str]:
    """The app served by a real threaded HTTP server on loopback."""
    with serving(browser_app) as url:
        yield url


@pytest.fixture
def new_page(browser, base_url):
    """Factory: `new_page(locale="fr-FR", viewport=PHONE, javascript=True)` -> Page.

    Each page lives in its own context (its own cookies), closed after the test.
    `bypass_csp` is only for injecting axe-core; the app's own scripts run under the real
    Content-Security-Policy in every other context.
    """
    contexts = []

    def make(locale: str = "en-GB", viewport: dict | None = None, javascript: bool = True, bypass_csp: bool = False):
        context = browser.new_context(
            base_url=base_url,
            locale=locale,
            viewport=viewport or {"width": 1280, "height": 900},
            java_script_enabled=javascript,
            bypass_csp=bypass_csp,
            extra_http_headers={"Accept-Language": locale},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def make_event(browser_app):
    """Factory: a published event open for registration (unique slug), committed."""

    def make(**overrides):
        with browser_app.app_context():
            event = factories.EventFactory.build(**overrides)
            db.session.add(event)
            db.session.commit()
            slug = event.slug
            db.session.remove()
        return slug

    return make


@pytest.fixture
def make_registration(browser_app):
    """Factory: `make_registration(slug, **overrides)` -> private token."""

    def make(slug: str, **overrides):
        import sqlalchemy as sa

        from panel_app.models import Event

        with browser_app.app_context():
            event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
            registration, token = factories.build_registration(event, **overrides)
            db.session.add(registration)
            db.session.commit()
            db.session.remove()
        return token

    return make


@pytest.fixture(scope="session")
def organiser(browser_app) -> tuple[str, str]:
    """An organiser account for console tests: (email, password)."""
    from panel_app.models import User

    with browser_app.app_context():
        user = User(email=ORGANISER_EMAIL, role="organiser")
        user.set_password(ORGANISER_PASSWORD)
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    return ORGANISER_EMAIL, ORGANISER_PASSWORD


def console_available(browser_app) -> bool:
    """The organiser console's login page exists (it is built alongside this suite)."""
    return any(rule.rule == "/admin/login" for rule in browser_app.url_map.iter_rules())


SERIOUS = ("serious", "critical")


@pytest.fixture
def axe_violations():
    """`axe_violations(page)` -> serious/critical WCAG 2.1 A/AA violations on the page."""
    if not AXE_JS.exists():
        pytest.skip(f"{AXE_JS} missing (npm install): accessibility checks skipped")

    def run(page) -> list[dict]:
        page.add_script_tag(path=str(AXE_JS))
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {
                  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                  resultTypes: ['violations'],
                });
                return r.violations.map(v => ({
                  id: v.id, impact: v.impact, help: v.help,
                  targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                }));
            }"""
        )
        return [v for v in result if v["impact"] in SERIOUS]

    return run


def in_days(days: int, hour: int = 13) -> datetime:
    base = datetime.now(timezone.utc).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


def screenshot_dir() -> Path | None:
    """Where to keep screenshots for a human to look at (BROWSER_SCREENSHOTS=/tmp/shots)."""
    path = os.environ.get("BROWSER_SCREENSHOTS")
    if not path:
        return None
    Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)

