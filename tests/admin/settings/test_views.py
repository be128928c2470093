"""The console's organisation page (admin/settings): administrators set the identity."""

from __future__ import annotations

import io

from tests.conftest import csrf_from
from tests.organisation.test_identity import png_bytes


def _post(client, data, **files):
    body = {"csrf_token": csrf_from(client, "/admin/settings"), **data}
    for name, (content, filename) in files.items():
        body[name] = (io.BytesIO(content), filename)
    return client.post("/admin/settings", data=body, content_type="multipart/form-data")


def test_admin_sets_names_contact_colour_and_logo_and_public_pages_show_them(signed_in, browser, ipu_environment):
    admin, _ = signed_in("admin")
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Server setting: Inter-Parliamentary Union" in page
    response = _post(admin, {"name_en": "Inter-Parliamentary Union", "name_fr": "Union interparlementaire",
                             "name_es": "Unión Interparlamentaria", "short_name": "UIP",
                             "contact_email": "panels@ipu.example.org", "colour": "#6a1b4d",
                             "controller_name": "Secrétariat de l'Union interparlementaire"},
                     logo=(png_bytes(), "logo.png"))
    assert response.status_code == 303
    visitor = browser()
    html = visitor.get("/?lang=fr").get_data(as_text=True)
    assert "Union interparlementaire" in html and "mailto:panels@ipu.example.org" in html
    assert "/organisation/logo-" in html and "– UIP</title>" in html
    again = _post(admin, {"name_en": "Inter-Parliamentary Union", "name_fr": "Union interparlementaire",
                          "name_es": "Unión Interparlamentaria", "short_name": "UIP",
                          "contact_email": "panels@ipu.example.org", "colour": "#6a1b4d",
                          "controller_name": "Secrétariat de l'Union interparlementaire"})
    assert again.status_code == 303
    assert "Nothing changed." in admin.get("/admin/settings").get_data(as_text=True)


def test_low_contrast_colour_and_non_image_logo_are_explained_not_saved(signed_in):
    admin, _ = signed_in("admin")
    response = _post(admin, {"colour": "#ffbf47"}, logo=(b"GIF89a....", "logo.gif"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "too hard to read" in html and "PNG or JPEG" in html and 'aria-invalid="true"' in html


def test_organisers_and_viewers_cannot_change_the_identity(signed_in):
    for role in ("organiser", "viewer"):
        client, _ = signed_in(role)
        assert client.get("/admin/settings").status_code == 403
