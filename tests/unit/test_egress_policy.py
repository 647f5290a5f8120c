"""The egress address policy (fluxforge.egress.policy), without the network."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.egress.policy import DENIED_NETWORKS, EgressDenied, EgressPolicy, denial_reason, parse_address

DEFAULT = EgressPolicy()


@st.composite
def denied_addresses(draw: st.DrawFn) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    network, _ = draw(st.sampled_from(DENIED_NETWORKS))
    address: ipaddress.IPv4Address | ipaddress.IPv6Address = draw(st.ip_addresses(network=network))
    return address


@given(denied_addresses())
def test_every_address_of_a_denied_network_is_refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    with pytest.raises(EgressDenied):
        DEFAULT.check_address(address)
    with pytest.raises(EgressDenied):
        DEFAULT.check_literal(str(address) if address.version == 4 else f"[{address}]")


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_wrapped_in_ipv6_is_judged_as_itself(address: ipaddress.IPv4Address) -> None:
    wrapped = [
        ipaddress.IPv6Address(f"::ffff:{address}"),  # IPv4-mapped
        ipaddress.IPv6Address((0x64FF9B << 96) | int(address)),  # NAT64
        ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80)),  # 6to4
    ]
    for outer in wrapped:
        assert (denial_reason(outer) is None) == (denial_reason(address) is None), (address, outer)


@pytest.mark.parametrize(
    "spelling",
    [
        "127.0.0.1",
        "2130706433",  # the integer form
        "0x7f000001",
        "017700000001",  # octal
        "0177.0.0.1",
        "0x7f.0.0.1",
        "127.1",  # short forms
        "127.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:ffff:127.0.0.1]",
        "169.254.169.254",  # cloud metadata
        "0251.0376.0251.0376",  # the same, in octal
        "[fd00:ec2::254]",  # AWS metadata over IPv6 (unique-local)
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "0",
        "10.1",
        "192.168.1.1",
        "100.64.0.1",
        "[fe80::1%eth0]",
        "224.0.0.1",
        "[ff02::1]",
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of the metadata address
        "[2002:7f00:1::]",  # 6to4 of loopback
    ],
)
def test_odd_spellings_of_platform_addresses_are_refused(spelling: str) -> None:
    assert parse_address(spelling) is not None, spelling
    with pytest.raises(EgressDenied):
        DEFAULT.check_literal(spelling)


@pytest.mark.parametrize("public", ["93.184.216.34", "8.8.8.8", "[2606:4700:4700::1111]", "1.1.1.1"])
def test_public_addresses_pass(public: str) -> None:
    assert DEFAULT.check_literal(public) is not None


@pytest.mark.parametrize("name", ["example.com", "api.example.com.", "localhost", "0x7f.example", "1.2.3.4.5"])
def test_names_are_left_to_the_resolver(name: str) -> None:
    assert parse_address(name) is None
    assert DEFAULT.check_literal(name) is None


def test_the_operator_allows_networks_and_hosts() -> None:
    policy = EgressPolicy.from_lists(networks=["127.0.0.0/8", "fd00::/8"], hosts=["Metadata.internal."])
    assert policy.check_literal("127.0.0.1") is not None
    assert policy.check_literal("0x7f.1") is not None
    assert policy.check_literal("[fd00::5]") is not None
    with pytest.raises(EgressDenied):
        policy.check_literal("10.0.0.1")  # what was not allowed stays refused
    assert policy.host_allowed("metadata.internal")
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        EgressPolicy.from_lists(networks=["not-a-network"])


def test_a_refusal_names_the_kind_of_address_and_nothing_behind_it() -> None:
    with pytest.raises(EgressDenied) as refused:
        DEFAULT.check_literal("169.254.169.254")
    assert str(refused.value) == "the egress policy refuses link-local addresses"
    assert "169.254" not in str(refused.value)
