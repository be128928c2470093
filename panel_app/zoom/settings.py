"""Zoom settings read from the app config at call time (never cached between requests)."""

from __future__ import annotations

from dataclasses import dataclass

from panel_app.zoom.errors import ZoomNotConfigured
from panel_app.zoom.token_cache import state_key


@dataclass(frozen=True)
class ZoomSettings:
    account_id: str
    client_id: str
    client_secret: str
    api_base_url: str
    token_url: str
    #: Our own pace, a little under the account's limit for these endpoints.
    requests_per_second: float = 9.5
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    max_retries: int = 4
    max_rate_limit_retries: int = 8
    retry_base_delay: float = 0.5
    redis_url: str | None = None
    redis_prefix: str = "panel:zoom"

    @property
    def key(self) -> str:
        return state_key(self.account_id, self.client_id)


def zoom_enabled(config) -> bool:
    """True when Server-to-Server OAuth credentials are configured (sync is on)."""
    return bool(config.get("ZOOM_ACCOUNT_ID") and config.get("ZOOM_CLIENT_ID") and config.get("ZOOM_CLIENT_SECRET"))


def settings_from_config(config) -> ZoomSettings:
    """Read the Zoom settings from a Flask config mapping (at call time, never cached)."""
    if not zoom_enabled(config):
        raise ZoomNotConfigured("Zoom credentials (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET) are not set")
    return ZoomSettings(
        account_id=config["ZOOM_ACCOUNT_ID"],
        client_id=config["ZOOM_CLIENT_ID"],
        client_secret=config["ZOOM_CLIENT_SECRET"],
        api_base_url=(config.get("ZOOM_API_BASE_URL") or "https://api.zoom.us/v2").rstrip("/"),
        token_url=config.get("ZOOM_OAUTH_TOKEN_URL") or "https://zoom.us/oauth/token",
        requests_per_second=float(config.get("ZOOM_REQUESTS_PER_SECOND", 9.5)),
        read_timeout=float(config.get("ZOOM_HTTP_TIMEOUT", 10.0)),
        max_retries=int(config.get("ZOOM_MAX_RETRIES", 4)),
        retry_base_delay=float(config.get("ZOOM_RETRY_BASE_DELAY", 0.5)),
        redis_url=config.get("ZOOM_REDIS_URL", config.get("REDIS_URL")),
        redis_prefix=config.get("ZOOM_REDIS_PREFIX", "panel:zoom"),
    )
