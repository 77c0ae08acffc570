"""Where a request comes from: the Host name it was sent to, and the page that sent it.

DNS rebinding: a page on attacker.example whose name is made to resolve to 127.0.0.1 reaches this
server as ``Host: attacker.example``, so only the names the server is known by are answered.
Cross-site writes: any page may POST a form here (a multipart upload needs no CORS preflight), so
a write whose ``Origin`` or ``Sec-Fetch-Site`` says another site sent it is refused. A request
with neither header comes from no browser (curl, scripts) and is let through.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAME = "localhost"
EVERY_ADDRESS = frozenset({"0.0.0.0", "::"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OWN_SITE = frozenset({"same-origin", "none"})  # Sec-Fetch-Site of the page itself, or of a typed URL
_HOST = re.compile(r"(?:\[(?P<ip6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9._-]+))(?::(?P<port>[0-9]{1,5}))?", re.I)


def host_name(value: str) -> str | None:
    """The name or address a ``Host`` header names (lower case, no port, no brackets), or None
    when it names none. The port is not compared: a rebinding page uses the server's own."""
    match = _HOST.fullmatch(value)
    if match is None or (match["port"] and int(match["port"]) > 65535):
        return None
    if match["ip6"] is not None:
        try:
            return str(ipaddress.IPv6Address(match["ip6"]))
        except ValueError:
            return None
    return match["name"].lower().rstrip(".") or None


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def allowed_name(value: str) -> str:
    """A name or address given on the command line (``::1``, ``[::1]``, ``name:443``), as
    ``host_name`` gives it; ValueError if it is none."""
    address = _address(value.strip("[]"))
    name = str(address) if address is not None else host_name(value)
    if name is None:
        raise ValueError(f"not a host name or address: {value!r}")
    return name


@dataclass(frozen=True)
class Hosts:
    """The ``Host`` names this server answers to: loopback ones, its own, and those allowed."""

    names: frozenset[str]
    any_address: bool = False  # bound to every address: which are its own is not known

    @classmethod
    def of(cls, bind: str, allowed: Iterable[str] = ()) -> Hosts:
        if bind in EVERY_ADDRESS:
            return cls(frozenset(allowed_name(n) for n in allowed), any_address=True)
        return cls(frozenset(allowed_name(n) for n in (bind, *allowed)))

    def allows(self, value: str) -> bool:
        name = host_name(value)
        if name is None:
            return False
        if name == LOOPBACK_NAME or name in self.names:
            return True
        address = _address(name)
        return address is not None and (address.is_loopback or self.any_address)


def foreign(method: str, host: str | None, origin: str | None, fetch_site: str | None) -> str | None:
    """Why a write was sent by a page of another site (one line), or None when it was not: it
    is no write, it came from the server's own page or a typed URL, or from no browser at all."""
    if method.upper() not in WRITES:
        return None
    if fetch_site is not None and fetch_site.lower() not in OWN_SITE:
        return f"refused: a page of another site may not change anything here (Sec-Fetch-Site: {fetch_site})"
    if origin is not None and not _same_origin(origin, host):
        return f"refused: a page of another site may not change anything here (Origin: {origin})"
    return None


def _same_origin(origin: str, host: str | None) -> bool:
    """Whether ``origin`` is the site the request was sent to. Host and port are compared, not
    the scheme: behind a proxy that ends TLS, the page is https and the request here is http."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and host is not None and not parts.path
            and parts.netloc.lower() == host.lower())  # fmt: skip
