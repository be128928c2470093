"""The audit log page (admin/audit/views.py)."""

from __future__ import annotations


def test_audit_log_lists_logins_for_admins(signed_in):
    admin, user = signed_in("admin")
    html = admin.get("/admin/audit?action=login").get_data(as_text=True)
    assert user.email in html and "login" in html
    assert admin.get("/admin/audit?page=abc").status_code == 400
    assert admin.get("/admin/audit?page=999").status_code == 200


def test_audit_log_pages_through_event_entries_on_a_populated_database(signed_in, populated):
    admin, _ = signed_in("admin")
    first = admin.get("/admin/audit")
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert f'href="/admin/events/{populated.upcoming.slug}"' in html  # entries link to their event
    assert "Email: old@parl.example →" in html  # edits read "field: old → new", not JSON
    assert "Awaiting approval → Confirmed" in html
    assert "rel=\"next\"" in html
    second = admin.get("/admin/audit?page=2")
    assert second.status_code == 200 and "Page 2 of 2" in second.get_data(as_text=True)
    exports = admin.get("/admin/audit?action=export.csv").get_data(as_text=True)
    assert "Registrations exported (CSV)" in exports
    assert "Filters: Status = Confirmed; Interpretation language = Spanish" in exports
    assert '<span class="hint">registration.edit</span>' not in exports
    assert exports.count("export.csv</span>") == 32


def test_bad_audit_queries_get_a_clear_message(signed_in, populated):
    admin, _ = signed_in("admin")
    for query in ("page=abc", "page=0", "action=%00", "action=" + "x" * 65):
        response = admin.get(f"/admin/audit?{query}")
        assert response.status_code == 400, query
        assert "There is a problem" in response.get_data(as_text=True), query
