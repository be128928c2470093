"""The API reference page (static, vendored Swagger UI) renders every operation in Chromium
under the site's strict Content-Security-Policy, without a single violation or outside request."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_reference_page_renders_the_generated_description_under_the_csp(new_page, base_url):
    page = new_page()
    problems, requests = [], []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    response = page.goto("/static/api/reference.html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_text("Panel registration API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/events/{slug}/registrations/{registration_id}").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 15
    assert not [p for p in problems if "CSP" in p or "Content Security Policy" in p], problems
    assert all(url.startswith(base_url) for url in requests), [u for u in requests if not u.startswith(base_url)]
    assert any(re.search(r"/api/v1/openapi\.json$", url) for url in requests)


def test_api_docs_address_leads_to_the_reference_page(new_page):
    page = new_page()
    page.goto("/api/v1/docs")
    assert page.url.endswith("/static/api/reference.html")
