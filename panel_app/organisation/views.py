"""The organisation's logo, the stylesheet carrying its colours, and the site's icon.

The colours come as a stylesheet of their own because the Content-Security-Policy allows no
inline style. Both the logo and the stylesheet are addressed by a digest of their content, so
browsers and mail clients may keep them for a year.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, send_from_directory

from panel_app.extensions import db
from panel_app.organisation import services

bp = Blueprint("organisation", __name__)

_DIGEST = re.compile(r"^[0-9a-f]{1,64}$")
YEAR = 365 * 24 * 3600


def _immutable(response: Response) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


@bp.get("/organisation/logo-<digest>.<ext>")
def logo(digest: str, ext: str):
    if not _DIGEST.match(digest) or ext not in ("png", "jpg"):
        abort(404)
    found = services.logo_for(db.session, digest)
    if found is None:
        abort(404)
    data, content_type = found
    return _immutable(Response(data, mimetype=content_type))


@bp.get("/organisation/theme-<digest>.css")
def theme(digest: str):
    """`:root` custom properties with the brand colours (static/css/app.css reads them)."""
    found = services.identity(db.session, "en")
    colours = found.colours
    css = (f":root {{ --brand: {colours.primary}; --brand-dark: {colours.primary_dark}; "
           f"--on-brand: {colours.on_primary}; }}\n")
    response = Response(css, mimetype="text/css")
    if digest == found.theme_digest:
        return _immutable(response)
    response.headers["Cache-Control"] = "no-cache"  # an old address: serve today's colours, keep nothing
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; answer with the static icon."""
    response = send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = f"public, max-age={7 * 24 * 3600}"
    return response
