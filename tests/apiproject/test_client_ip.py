"""The client IP (API.md §0): the socket peer, or a trusted proxy's X-Forwarded-For, IPv6 by /64."""

import pytest
from rest_framework import status

from apiproject.client_ip import forwarded_client, ip_limit_key, parse_address, parse_networks
from clients.models import UsageRecord
from clients.usage import usage_flush
from tests.signup.helpers import SESSION, solved_captcha

PROXIES = parse_networks(("10.0.0.0/8", "2001:db8:ffff::/48"))
WHOAMI = "/api/v1/whoami"


# --- The pure functions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("203.0.113.7", "", "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "192.0.2.66, 198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "192.0.2.66, 198.51.100.1, 10.0.0.3, 10.1.2.3", "198.51.100.1"),
        ("10.0.0.2", "10.0.0.4,10.0.0.3", "10.0.0.4"),
        ("2001:db8:ffff::1", "2001:db8:1::9", "2001:db8:1::9"),
        ("10.0.0.2", "[2001:db8:1::9]:4711", "2001:db8:1::9"),
        ("10.0.0.2", "198.51.100.1:4711", "198.51.100.1"),
        ("::ffff:10.0.0.2", "::ffff:198.51.100.1", "198.51.100.1"),
    ],
    ids=[
        "no-header",
        "untrusted-peer-spoofs",
        "trusted-peer-without-header",
        "trusted-peer",
        "client-written-entries-ignored",
        "chain-of-proxies",
        "every-hop-trusted",
        "ipv6",
        "bracketed-v6-with-port",
        "v4-with-port",
        "ipv4-mapped",
    ],
)
def test_forwarded_client_picks_rightmost_untrusted_entry(peer, forwarded_for, expected):
    assert forwarded_client(peer, forwarded_for, PROXIES) == expected


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("garbage", "10.0.0.2"),
        ("", "10.0.0.2"),
        (",,,", "10.0.0.2"),
        ("198.51.100.1, unknown", "10.0.0.2"),
        ("unknown, 10.0.0.9", "10.0.0.9"),
        ("\x00\xff" * 2000, "10.0.0.2"),
        ("300.1.2.3", "10.0.0.2"),
        ("10.0.0.0/8", "10.0.0.2"),
    ],
    ids=["word", "empty", "commas", "garbage-last", "garbage-behind-a-proxy", "binary", "bad-octet", "cidr"],
)
def test_garbage_forwarded_for_falls_back_to_last_known_hop(forwarded_for, expected):
    assert forwarded_client("10.0.0.2", forwarded_for, PROXIES) == expected


@pytest.mark.parametrize("peer", ["", "unix:/run/app.sock", "garbage"], ids=["none", "unix-socket", "garbage"])
def test_peer_that_is_no_address_gives_empty_client_ip(peer):
    assert forwarded_client(peer, "198.51.100.1", PROXIES) == ""


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("", "unknown"),
        ("nonsense", "unknown"),
    ],
    ids=["ipv4", "ipv6", "ipv6-same-64", "zone-id", "empty", "garbage"],
)
def test_ip_limit_key_groups_ipv6_by_slash_64(address, key):
    assert ip_limit_key(address) == key


def test_zone_id_is_dropped_from_address():
    assert str(parse_address("fe80::1%eth0")) == "fe80::1"


# --- Through the stack: usage statistics, signup budgets, the scheme ----------------------------


@pytest.fixture
def behind_proxy(settings):
    """The test client's peer (127.0.0.1) is a trusted reverse proxy."""
    settings.TRUSTED_PROXIES = ["127.0.0.0/8", "10.0.0.0/8"]


def _counted_ip(client, **headers) -> str:
    client.get(WHOAMI, **headers)
    usage_flush()
    return UsageRecord.objects.get().ip


@pytest.mark.django_db
def test_spoofed_forwarded_for_from_untrusted_peer_is_ignored(app_client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert _counted_ip(app_client, HTTP_X_FORWARDED_FOR="198.51.100.1", REMOTE_ADDR="203.0.113.7") == "203.0.113.7"


@pytest.mark.django_db
def test_forwarded_for_from_trusted_proxy_gives_client_ip(app_client, behind_proxy):
    assert _counted_ip(app_client, HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.1, 10.0.0.3") == "198.51.100.1"


@pytest.mark.django_db
def test_garbage_forwarded_for_from_trusted_proxy_counts_the_proxy(app_client, behind_proxy):
    response_ip = _counted_ip(app_client, HTTP_X_FORWARDED_FOR="\u00e9t\u00e9, <script>")

    assert response_ip == "127.0.0.1"


@pytest.mark.django_db
def test_two_ipv6_addresses_in_one_slash_64_share_a_signup_budget(app_client, settings):
    settings.SIGNUP_SESSION_RATE_PER_IP = "1/hour"
    first = app_client.post(
        SESSION, {"captcha": solved_captcha(app_client)}, format="json", REMOTE_ADDR="2001:db8:1:2::1"
    )
    second = app_client.post(
        SESSION, {"captcha": solved_captcha(app_client)}, format="json", REMOTE_ADDR="2001:db8:1:2:ffff::2"
    )

    assert first.status_code == status.HTTP_201_CREATED
    assert second.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert second.json()["code"] == "throttled"
    assert int(second["Retry-After"]) > 0


@pytest.mark.django_db
def test_clients_behind_one_trusted_proxy_have_their_own_signup_budgets(app_client, settings, behind_proxy):
    settings.SIGNUP_SESSION_RATE_PER_IP = "1/hour"

    def session(forwarded_for: str) -> int:
        captcha = solved_captcha(app_client)
        return app_client.post(SESSION, {"captcha": captcha}, format="json", HTTP_X_FORWARDED_FOR=forwarded_for)

    codes = [session(ip).status_code for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.1")]

    assert codes == [201, 201, 429]


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_buy_a_fresh_signup_budget(app_client, settings):
    settings.SIGNUP_SESSION_RATE_PER_IP = "1/hour"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    def session(forwarded_for: str) -> int:
        captcha = solved_captcha(app_client)
        return app_client.post(SESSION, {"captcha": captcha}, format="json", HTTP_X_FORWARDED_FOR=forwarded_for)

    assert [session(ip).status_code for ip in ("198.51.100.1", "198.51.100.2")] == [201, 429]


@pytest.mark.django_db
@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted-peer", "trusted-proxy"])
def test_forwarded_proto_is_believed_only_from_trusted_proxy(app_client, settings, trusted):
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = ["127.0.0.1"] if trusted else ["10.0.0.0/8"]

    response = app_client.get(WHOAMI, HTTP_X_FORWARDED_PROTO="https")

    if trusted:
        assert response.status_code == status.HTTP_200_OK  # served over the https the proxy vouched for
    else:
        assert response.status_code == status.HTTP_301_MOVED_PERMANENTLY
        assert response["Location"] == "https://testserver/api/v1/whoami"
