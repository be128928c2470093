"""Which webhook addresses the server may call (server-side request forgery guard).

An administrator types the URL, and the server then POSTs to it: without care, that lets
the console reach the server's own network (a database admin page, the cloud's metadata
service at 169.254.169.254). So:

- the URL must be https; plain http only to a loopback host, and only where private
  addresses are allowed (development and tests);
- where private addresses are not allowed (production by default,
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES=false), every address the host name resolves to must be a
  public one, when the endpoint is saved *and* at each delivery: the connection is checked
  after it opens, on the peer address actually connected to (so a DNS answer that changes
  between the check and the call, "DNS rebinding", is caught too), before a byte is sent;
- redirects are not followed (a 3xx answer is a failed attempt), and no HTTP proxy from the
  environment is used.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

URL_MAX = 2000
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class AddressRefused(ValueError):
    """A webhook URL that may not be used; `code` says why ("scheme", "private", "format"...)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code


class BlockedAddress(OSError):
    """A delivery connection reached an address that is not allowed."""


def public_address(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _is_loopback_host(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_private: bool, resolve: bool = True) -> str:
    """`url` trimmed when it may be used as a webhook endpoint; raises AddressRefused."""
    url = (url or "").strip()
    if not url or len(url) > URL_MAX or any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise AddressRefused("format")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise AddressRefused("format") from None
    if not host or parts.username or parts.password or parts.fragment:
        raise AddressRefused("format")
    if parts.scheme == "http":
        if not (allow_private and _is_loopback_host(host)):
            raise AddressRefused("scheme")
    elif parts.scheme != "https":
        raise AddressRefused("scheme")
    if not allow_private and resolve:
        for address in resolved_addresses(host, parts.port or 443):
            if not public_address(address):
                raise AddressRefused("private", address)
    return url


def resolved_addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused("unresolvable") from None
    return sorted({info[4][0] for info in infos})


class _CheckedConnection:
    """Refuses a connection whose peer is not a public address, right after connecting."""

    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if not public_address(peer):
            sock.close()
            raise BlockedAddress(f"{peer} is not a public address (WEBHOOK_ALLOW_PRIVATE_ADDRESSES is off)")
        return sock


class _CheckedHTTPConnection(_CheckedConnection, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """A requests adapter whose connections may only reach public addresses."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def http_session(*, allow_private: bool) -> requests.Session:
    """A requests session for deliveries: no proxies from the environment, and where private
    addresses are not allowed, connections checked by `PublicOnlyAdapter`."""
    session = requests.Session()
    session.trust_env = False
    if not allow_private:
        session.mount("https://", PublicOnlyAdapter())
        session.mount("http://", PublicOnlyAdapter())
    return session
