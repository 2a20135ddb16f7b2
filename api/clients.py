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


def client_address(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The peer's address; behind trusted proxies, the nearest address they did not add.

    ``X-Forwarded-For`` is read right to left: each trusted proxy appends the address it saw,
    so the first untrusted one from the right is the client. Anyone else's header is ignored.
    """
    peer = scope.get("client")
    address = peer[0] if peer else "unknown"
    if not trusted or not _is_trusted(address, trusted):
        return address
    forwarded = ",".join(Headers(scope=scope).getlist("x-forwarded-for"))
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        address = hop
        if not _is_trusted(hop, trusted):
            break
    return address
