"""Where outgoing webhooks may go. A webhook URL is an admin's input that the server then
calls from inside its network; pointed at a private, loopback or link-local address (a cloud
metadata service at 169.254.169.254, a database on 10.x, the server itself) it would let a
stolen admin token reach what the internet cannot (SSRF). Only globally routable unicast
addresses are allowed, unless a deployment says otherwise (GILIRAN_WEBHOOK_ALLOW_PRIVATE)."""

from __future__ import annotations

import ipaddress

REFUSED = ("the webhook URL points into a private, loopback or link-local network; set "
           "GILIRAN_WEBHOOK_ALLOW_PRIVATE=true to allow that")


def address_allowed(address: str) -> bool:
    """True for a globally routable unicast IP address (IPv4, IPv6, IPv4-mapped IPv6)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
