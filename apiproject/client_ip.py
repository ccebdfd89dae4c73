"""The client's IP address: the socket peer, or what a trusted reverse proxy says it saw."""

import functools
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# One host usually holds a whole IPv6 /64 (RFC 6177 assigns at least that much to a site),
# so a limit per IPv6 address would be no limit at all.
IPV6_LIMIT_PREFIX = 64


def parse_address(value: str) -> Address | None:
    """Return the IP address in `value` (bare, `[v6]`, `v4:port` or `[v6]:port`), or None.

    An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) reads as its IPv4 address, so one client
    has one identity whichever socket family reached it.
    """
    value = value.strip()
    if value.startswith("["):  # RFC 7239 §6 style: "[2001:db8::1]:4711"
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # "192.0.2.1:4711"; bare IPv6 has two colons or more
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        # A zone id ("fe80::1%eth0") names this host's interface, not the client: drop it.
        return address.ipv4_mapped or ipaddress.IPv6Address(int(address))
    return address


@functools.lru_cache(maxsize=8)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """Return the networks of a list of IPs or CIDRs (an address is a network of one)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def is_trusted(address: Address, proxies: Iterable[Network]) -> bool:
    """Return whether `address` lies in one of the trusted proxy networks."""
    return any(address.version == network.version and address in network for network in proxies)


def forwarded_client(peer: str, forwarded_for: str, proxies: Iterable[Network]) -> str:
    """Return the client address of a connection from `peer` carrying `X-Forwarded-For`.

    Only a trusted proxy's X-Forwarded-For is read, and from the right: each proxy appends the
    address it saw, so the right-most entry that is not itself a trusted proxy is the first
    address no trusted party can vouch past. Anything left of it was written by the client and
    is ignored (reading the left-most entry would let a client choose its own IP). An entry that
    is not an address ends the walk at the last hop known good (the peer, when it is the first).
    Returns "" when the peer itself is not an address (a unix socket).
    """
    proxies = tuple(proxies)
    nearest = parse_address(peer)
    if nearest is None:
        return ""
    if not is_trusted(nearest, proxies):
        return str(nearest)
    for entry in reversed(forwarded_for.split(",")):
        hop = parse_address(entry)
        if hop is None:
            break
        nearest = hop
        if not is_trusted(hop, proxies):
            break
    return str(nearest)


def ip_limit_key(address: str) -> str:
    """Return the budget a per-IP limit counts `address` against: IPv4 as is, IPv6 by its /64.

    An empty or unparsable address shares the budget "unknown" rather than escape the limit.
    """
    parsed = parse_address(address)
    if parsed is None:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.IPv6Network((parsed, IPV6_LIMIT_PREFIX), strict=False))
    return str(parsed)


def trusted_proxies() -> tuple[Network, ...]:
    """Return the networks of DJANGO_TRUSTED_PROXIES (settings.TRUSTED_PROXIES), read on each call."""
    return parse_networks(tuple(settings.TRUSTED_PROXIES))


def peer_is_trusted_proxy(request: HttpRequest) -> bool:
    """Return whether the socket peer of `request` is one of DJANGO_TRUSTED_PROXIES.

    Headers a proxy sets for the app (X-Forwarded-For, X-Forwarded-Proto, Client-Cert) are
    believed only when this is true: anyone else can send them too.
    """
    peer = parse_address(request.META.get("REMOTE_ADDR", ""))
    return peer is not None and is_trusted(peer, trusted_proxies())


def client_ip(request: HttpRequest) -> str:
    """Return the client IP of `request` (API.md §0), or "" when it has none."""
    return forwarded_client(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""), trusted_proxies()
    )
