"""Server-to-Server OAuth: the token endpoint and bearer-token checks on API calls."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from werkzeug.wrappers import Request, Response

from panel_app.zoom.testing.model import ApiError

SCOPES = ("meeting:read:admin meeting:write:admin webinar:read:admin webinar:write:admin "
          "report:read:admin")


def _oauth_error(status: int, error: str, reason: str) -> Response:
    # Zoom's token endpoint answers errors as {"reason": ..., "error": ...} (observed answers, e.g.
    # 400 {"reason":"Invalid client_id or client_secret","error":"invalid_client"}; codes in
    # "OAuth error messages", https://developers.zoom.us/docs/integrations/oauth-error-messages/).
    return Response(json.dumps({"reason": reason, "error": error}), status=status, mimetype="application/json")


class OAuthMixin:
    """`POST /oauth/token` with `grant_type=account_credentials`; `expire_tokens()`."""

    def _init_oauth(self, token_ttl: int, revoke_previous_tokens: bool) -> None:
        self.token_ttl = token_ttl
        #: "Server-to-Server OAuth" (https://developers.zoom.us/docs/internal-apps/s2s-oauth/): "You can
        #: generate and use multiple access tokens", confirmed by the changelog "Multiple access Token support
        #: available for server-to-server apps" (https://developers.zoom.us/changelog/platform/
        #: multiple-access-token-support-available-for-server-to-server-apps/): a new token does not
        #: invalidate earlier ones. True reproduces the older behaviour (forum thread "Server-to-Server
        #: OAuth: annoying token-invalidation", https://devforum.zoom.us/t/72070) for tests that want it.
        self.revoke_previous_tokens = revoke_previous_tokens
        self.tokens: dict[str, float] = {}  # token -> expiry (sim clock, epoch seconds)
        self.token_requests = 0

    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on (401 code 124 on the next API call)."""
        with self._lock:
            for token in self.tokens:
                self.tokens[token] = 0

    def _token(self, request: Request) -> Response:
        # "Server-to-Server OAuth", Generate access token: POST https://zoom.us/oauth/token with
        # Basic base64(client_id:client_secret) and a form body grant_type=account_credentials&account_id=...
        # Parameters in the query string are refused (developer forum "/oauth/token 400 Bad Request (params
        # in query string)", https://devforum.zoom.us/t/124925): the stricter reading of the document.
        auth = request.authorization
        if auth is None or auth.type != "basic" or not auth.username or not auth.password:
            return _oauth_error(400, "invalid_request", "Client ID or client secret is missing.")
        if auth.username != self.client_id or auth.password != self.client_secret:
            return _oauth_error(400, "invalid_client", "Invalid client_id or client_secret")
        form = request.form
        if "grant_type" not in form:
            return _oauth_error(400, "unsupported_grant_type", "unsupported grant type")
        if form.get("grant_type") != "account_credentials":
            return _oauth_error(400, "unsupported_grant_type", "unsupported grant type")
        if form.get("account_id") != self.account_id:
            return _oauth_error(400, "invalid_request", "Invalid account_id.")
        token = secrets.token_urlsafe(32)
        expires_at = self.clock.now() + timedelta(seconds=self.token_ttl)
        with self._lock:
            self.token_requests += 1
            if self.revoke_previous_tokens:
                self.tokens.clear()
            self.tokens[token] = expires_at.timestamp()
        return Response(json.dumps({
            "access_token": token, "token_type": "bearer", "expires_in": self.token_ttl, "scope": SCOPES,
            "api_url": self.root_url,
        }), status=200, mimetype="application/json")

    def _authenticate(self, request: Request) -> None:
        # "Using Zoom APIs" (https://developers.zoom.us/docs/api/using-zoom-apis/) and the error list in
        # "Zoom API errors": 401 with code 124 "Invalid access token." for a missing, unknown or expired token.
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise ApiError(401, 124, "Invalid access token.")
        with self._lock:
            expiry = self.tokens.get(value.strip())
        if expiry is None:
            raise ApiError(401, 124, "Invalid access token.")
        if expiry <= self.clock.timestamp():
            raise ApiError(401, 124, "Access token is expired.")
