"""Who is asking: the client's address, believing ``X-Forwarded-For`` only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "192.168.0.0/16"]`` as networks; a bad entry raises ValueError naming it."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"COACH_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def hop_address(hop: str) -> str | None:
    """One ``X-Forwarded-For`` hop as a normalised IP: ``ip``, ``ip:port`` or ``[ipv6]:port``.

    None for anything else (``garbage``, empty, ``999.999.1.1``), which no proxy writes.
    """
    hop = hop.strip()
    if hop.startswith("["):  # [2001:db8::1]:443
        hop = hop[1 : hop.find("]")] if "]" in hop else ""
    elif hop.count(":") == 1:  # 1.2.3.4:5678 (a bare IPv6 address has several colons)
        hop = hop.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None


def client_address(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The peer's address; behind trusted proxies, the nearest address they did not add.

    ``X-Forwarded-For`` is read right to left: each trusted proxy appends the address it saw,
    so the first untrusted one from the right is the client. Anyone else's header is ignored,
    and a malformed hop ends the walk at the last proxy read, so garbage cannot make buckets.
    """
    peer = scope.get("client")
    address = peer[0] if peer else "unknown"
    if not trusted or not _is_trusted(address, trusted):
        return address
    forwarded = ",".join(Headers(scope=scope).getlist("x-forwarded-for"))
    for hop in reversed(forwarded.split(",")):
        ip = hop_address(hop)
        if ip is None:
            break
        address = ip
        if not _is_trusted(ip, trusted):
            break
    return address
