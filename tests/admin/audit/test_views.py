"""The audit log page (admin/audit/views.py)."""

from __future__ import annotations


def test_audit_log_lists_logins_for_admins(signed_in):
    admin, user = signed_in("admin")
    html = admin.get("/admin/audit?action=login").get_data(as_text=True)
    assert user.email in html and "login" in html
    assert admin.get("/admin/audit?page=abc").status_code == 400
    assert admin.get("/admin/audit?page=999").status_code == 200
