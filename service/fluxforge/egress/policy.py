"""Which addresses a call made on a tenant's behalf may reach: the rule, without I/O.

Every outbound call FluxForge makes for a tenant (http steps today; webhooks, agents and health
probes later) must not reach the platform's own network: loopback, private and carrier-grade NAT
ranges, link-local (cloud metadata services live there), unique-local IPv6, multicast, the
unspecified address, nor a public-looking IPv6 address that only wraps one of those (IPv4-mapped,
NAT64, 6to4, Teredo). Deny is the default; operators allow CIDRs or host names explicitly
(on-premises installs, and the tests' loopback peers).

The host a tenant names is read the way the resolver would read it, so that the odd spellings
of an address (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]`) are judged
as the address they are, not as names. Resolving real names and connecting to the address that
was checked is the caller's part: it passes each resolved address through `check_address`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

DENIED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "carrier-grade NAT"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "6to4 relay"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("100::/64"), "discard"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("fc00::/7"), "unique-local"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("ff00::/8"), "multicast"),
)
"""Networks no tenant's call may reach unless the operator allows them, with why."""

_TEREDO = _V6("2001::/32")
_NAT64 = _V6("64:ff9b::/96")
_LEGACY_IPV4 = re.compile(r"^[0-9a-fA-FxX.]+$")


class EgressDenied(Exception):
    """The call may not go there. The message names the kind of address, never what lies behind it."""


def parse_address(host: str) -> IPAddress | None:
    """The address `host` spells, read as the resolver reads it; None when it is a name.

    IPv4 in the legacy forms `inet_aton` accepts (one to four parts, each decimal, octal or hex)
    counts as the address it spells, since that is where a connection to it would go.
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.split("%", 1)[0]  # an IPv6 zone id names an interface, not another address
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(text) and not text.endswith("."):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and would reach: mapped, NAT64, 6to4 or Teredo."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _TEREDO and address.teredo is not None:
        return address.teredo[1]
    return None


def denial_reason(address: IPAddress) -> str | None:
    """Why the default policy refuses `address` (e.g. "loopback"), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = denial_reason(inner)
            return f"{reason} (inside an IPv6 address)" if reason else None
    for network, reason in DENIED_NETWORKS:
        if address.version == network.version and address in network:
            return reason
    return None


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """Deny-private by default; what the operator allows is let through as it is."""

    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_lists(cls, networks: Iterable[str] = (), hosts: Iterable[str] = ()) -> EgressPolicy:
        """Parse the operator's allow-lists; a malformed entry is a configuration error."""
        return cls(
            allowed_networks=tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in networks),
            allowed_hosts=frozenset(host.strip().lower().rstrip(".") for host in hosts),
        )

    def host_allowed(self, host: str) -> bool:
        """Whether the operator allowed this name outright (its addresses are then not judged)."""
        return host.strip().lower().rstrip(".") in self.allowed_hosts

    def check_address(self, address: IPAddress) -> None:
        """Refuse an address of the platform's networks unless an allowed network holds it."""
        if any(address.version == net.version and address in net for net in self.allowed_networks):
            return
        reason = denial_reason(address)
        if reason is not None:
            raise EgressDenied(f"the egress policy refuses {reason} addresses")

    def check_literal(self, host: str) -> IPAddress | None:
        """Judge a host that spells an address (in any spelling); None when it is a name to resolve."""
        address = parse_address(host)
        if address is not None and not self.host_allowed(host):
            self.check_address(address)
        return address
