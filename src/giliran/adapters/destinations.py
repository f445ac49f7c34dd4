"""Checking a webhook's destination by resolving its host name (the rule itself is
giliran.domain.destinations). At registration a name that does not resolve is let through;
the send-time check, on the addresses the request then really goes to, is the one that
counts (a name can be made to resolve elsewhere later)."""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit

from giliran.domain.destinations import REFUSED, address_allowed, is_ip_literal
from giliran.domain.errors import DestinationNotAllowed

RESOLVE_SECONDS = 2.0


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the literal itself for an IP)."""
    if is_ip_literal(host):
        return [host]
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in found})


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


class Destinations:
    """The DestinationCheck of the service layer."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def check(self, url: str) -> None:
        if self.allow_private:
            return
        parts = urlsplit(url)
        host = parts.hostname or ""
        addresses = resolve_within(host, parts.port or default_port(parts.scheme),
                                   RESOLVE_SECONDS)
        if addresses is None:
            return  # not resolvable now; checked again when sending
        if not addresses or not all(address_allowed(a) for a in addresses):
            raise DestinationNotAllowed(REFUSED)


def resolve_within(host: str, port: int, seconds: float) -> list[str] | None:
    """`resolve`, or None when it fails or takes longer than `seconds` (the caller may be
    the process's writer thread, which must not wait on a slow DNS server)."""
    found: list[list[str]] = []

    def run() -> None:
        with contextlib.suppress(OSError, UnicodeError):
            found.append(resolve(host, port))

    worker = threading.Thread(target=run, name="giliran-resolve", daemon=True)
    worker.start()
    worker.join(seconds)
    return found[0] if found else None
