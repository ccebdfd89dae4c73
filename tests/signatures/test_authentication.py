"""HttpSignatureAuthentication: signed requests through the whole DRF stack (API.md §1, §3)."""

import datetime

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.selectors import key_cache_clear
from clients.services import api_key_revoke
from signatures import authentication as signature_scheme
from tests.clients.factories import make_api_client
from tests.signatures.helpers import send, sign

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.signatures.urls")]

WHOAMI = "http://testserver/api/v1/whoami"
ECHO = "http://testserver/echo"
BODY = b'{"item": "book", "quantity": 2}'
NOW = 1_800_000_000


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def signed(api_key, method="GET", url=WHOAMI, **options) -> dict[str, str]:
    return sign(method, url, key_id=api_key.key_id, secret=api_key.secret, **options)


def assert_refused(response, code: str, status: int = 401) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if status == 401:
        assert 'Signature realm="api"' in response["WWW-Authenticate"]


# --- Accepted ---------------------------------------------------------------------------------


def test_signed_request_identifies_the_app(api_client, api_key):
    response = send(api_client, "GET", WHOAMI, signed(api_key))

    assert response.status_code == 200
    assert response.json() == {"user": None, "client": api_key.client.client_id, "schemes": ["signature"]}


def test_signed_request_with_body_delivers_it_to_the_view(api_client, api_key):
    response = send(api_client, "POST", ECHO, signed(api_key, "POST", ECHO, body=BODY), body=BODY)

    assert response.status_code == 200
    assert response.json() == {"client": api_key.client.client_id, "data": {"item": "book", "quantity": 2}}


def test_authority_path_and_query_coverage_is_accepted(api_client, api_key):
    url = f"{WHOAMI}?verbose=1&page=2"
    headers = signed(api_key, url=url, components=("@method", "@authority", "@path", "@query"))

    assert send(api_client, "GET", url, headers).status_code == 200


def test_covered_authorization_header_is_accepted(api_client, api_key):
    headers = signed(
        api_key,
        headers={"Authorization": f"Key {api_key.key_id}"},
        components=("@method", "@target-uri", "authorization"),
    )

    assert send(api_client, "GET", WHOAMI, headers).status_code == 200


def test_any_label_is_accepted(api_client, api_key):
    headers = signed(api_key, label="my-app")

    assert headers["Signature-Input"].startswith("my-app=")
    assert send(api_client, "GET", WHOAMI, headers).status_code == 200


def test_signature_without_alg_is_accepted(api_client, api_key):
    headers = signed(api_key, include_alg=False)

    assert "alg=" not in headers["Signature-Input"]
    assert send(api_client, "GET", WHOAMI, headers).status_code == 200


def test_signature_created_at_the_edge_of_the_window_is_accepted(api_client, api_key, frozen, settings):
    settings.SIGNATURE_MAX_SKEW_SECONDS = 300
    headers = signed(api_key)
    frozen.shift(300)

    assert send(api_client, "GET", WHOAMI, headers).status_code == 200


def test_same_nonce_under_two_keys_is_accepted_for_each(api_client, api_key):
    other = make_api_client(name="Other app")
    mine = signed(api_key, nonce="shared-nonce")
    theirs = sign("GET", WHOAMI, key_id=other.key_id, secret=other.secret, nonce="shared-nonce")

    assert send(api_client, "GET", WHOAMI, mine).status_code == 200
    assert send(api_client, "GET", WHOAMI, theirs).status_code == 200


def test_signing_app_that_requires_signatures_is_accepted(api_client):
    strict = make_api_client(name="Strict app", require_signature=True)
    headers = sign("GET", WHOAMI, key_id=strict.key_id, secret=strict.secret)

    assert send(api_client, "GET", WHOAMI, headers).status_code == 200


def test_plain_key_of_app_that_requires_signatures_returns_401(api_client):
    strict = make_api_client(name="Strict app", require_signature=True)

    response = api_client.get("/api/v1/whoami", HTTP_X_API_KEY=strict.key_id)

    assert response.status_code == 401
    assert response.json()["code"] == "signature_required"
    assert response["WWW-Authenticate"]


def test_signed_request_from_rejected_user_agent_returns_403(api_client):
    picky = make_api_client(name="Picky app", allowed_user_agents=[r"PickyApp/\d+"])
    headers = sign("GET", WHOAMI, key_id=picky.key_id, secret=picky.secret)

    assert_refused(send(api_client, "GET", WHOAMI, headers, HTTP_USER_AGENT="curl/8"), "user_agent_rejected", 403)


def test_warm_signed_request_makes_no_database_query(api_client, api_key):
    send(api_client, "GET", WHOAMI, signed(api_key))  # warms the key cache

    with CaptureQueriesContext(connection) as queries:
        response = send(api_client, "GET", WHOAMI, signed(api_key))

    assert response.status_code == 200
    assert len(queries) == 0, [query["sql"] for query in queries]


# --- Tampering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PUT", ECHO),
        ("POST", "http://testserver/echo?admin=1"),
        ("POST", "http://localhost/echo"),
        ("POST", "https://testserver/echo"),
        ("POST", "http://testserver:8080/echo"),
    ],
    ids=["method", "query", "host", "scheme", "port"],
)
def test_changed_covered_component_returns_401(api_client, api_key, method, url):
    headers = signed(api_key, "POST", ECHO, body=BODY)

    assert_refused(send(api_client, method, url, headers, body=BODY), "signature_invalid")


def test_changed_path_returns_401(api_client, api_key):
    headers = signed(api_key)

    assert_refused(send(api_client, "GET", WHOAMI + "/", headers), "signature_invalid")


def test_changed_covered_header_returns_401(api_client, api_key):
    headers = signed(api_key, headers={"X-Request-Id": "1"}, components=("@method", "@target-uri", "x-request-id"))

    assert_refused(send(api_client, "GET", WHOAMI, {**headers, "X-Request-Id": "2"}), "signature_invalid")


def test_changed_body_returns_401(api_client, api_key):
    headers = signed(api_key, "POST", ECHO, body=BODY)

    response = send(api_client, "POST", ECHO, headers, body=BODY.replace(b"2", b"9"))

    assert_refused(response, "digest_mismatch")


def test_digest_of_another_body_returns_401(api_client, api_key):
    headers = signed(api_key)  # an empty body, but a Content-Digest of something else

    response = send(api_client, "GET", WHOAMI, {**headers, "Content-Digest": "sha-256=:AAAA:"})

    assert_refused(response, "digest_mismatch")


def test_changed_body_with_matching_digest_returns_401(api_client, api_key):
    headers = signed(api_key, "POST", ECHO, body=BODY)
    forged = sign("POST", ECHO, key_id="x", secret="x", body=b'{"item": "car"}')["Content-Digest"]

    response = send(api_client, "POST", ECHO, {**headers, "Content-Digest": forged}, body=b'{"item": "car"}')

    assert_refused(response, "signature_invalid")


def test_body_not_covered_by_digest_returns_401(api_client, api_key):
    headers = signed(api_key, "POST", ECHO)  # signed without a body: no Content-Digest

    assert_refused(send(api_client, "POST", ECHO, headers, body=BODY), "signature_incomplete")


def test_authorization_not_covered_returns_401(api_client, api_key):
    headers = signed(api_key)

    response = send(api_client, "GET", WHOAMI, {**headers, "Authorization": "Bearer stolen-token"})

    assert_refused(response, "signature_incomplete")


def test_only_method_covered_returns_401(api_client, api_key):
    assert_refused(send(api_client, "GET", WHOAMI, signed(api_key, components=("@method",))), "signature_incomplete")


def test_query_not_covered_returns_401(api_client, api_key):
    url = f"{WHOAMI}?page=2"
    headers = signed(api_key, url=url, components=("@method", "@authority", "@path"))

    assert_refused(send(api_client, "GET", url, headers), "signature_incomplete")


# --- Replay and time --------------------------------------------------------------------------


def test_replayed_nonce_returns_401(api_client, api_key):
    headers = signed(api_key)
    send(api_client, "GET", WHOAMI, headers)

    assert_refused(send(api_client, "GET", WHOAMI, headers), "nonce_reused")


def test_new_signature_reusing_a_nonce_returns_401(api_client, api_key):
    send(api_client, "GET", WHOAMI, signed(api_key, nonce="n-1"))

    assert_refused(send(api_client, "GET", WHOAMI, signed(api_key, nonce="n-1")), "nonce_reused")


def test_nonce_is_remembered_for_the_whole_window(api_client, api_key, frozen, settings):
    settings.SIGNATURE_MAX_SKEW_SECONDS = 300
    headers = signed(api_key, created=datetime.datetime.fromtimestamp(NOW + 299, tz=datetime.UTC))
    assert send(api_client, "GET", WHOAMI, headers).status_code == 200  # a client clock 299 s ahead

    frozen.shift(598)

    assert_refused(send(api_client, "GET", WHOAMI, headers), "nonce_reused")


def test_replay_at_the_end_of_the_window_is_refused_even_when_verification_is_slow(
    api_client, api_key, frozen, settings, monkeypatch
):
    settings.SIGNATURE_MAX_SKEW_SECONDS = 300
    headers = signed(api_key, created=datetime.datetime.fromtimestamp(NOW - 299, tz=datetime.UTC))
    assert send(api_client, "GET", WHOAMI, headers).status_code == 200  # its nonce is kept for 2 s
    lookup = signature_scheme.api_key_lookup

    def slow_lookup(key_id):
        frozen.shift(2.5)  # after the replay's freshness check, before its nonce claim
        return lookup(key_id)

    monkeypatch.setattr(signature_scheme, "api_key_lookup", slow_lookup)
    frozen.shift(0.9)  # the replay comes 0.1 s before `created` leaves the window

    response = send(api_client, "GET", WHOAMI, headers)

    # On Redis the nonce is still there (time_machine does not move Redis's clock): nonce_reused.
    assert response.status_code == 401
    assert response.json()["code"] in ("signature_expired", "nonce_reused")


@pytest.mark.redis
def test_signed_request_is_one_redis_round_trip_that_sets_the_nonce_expiry(api_client, api_key, monkeypatch):
    from redis.connection import AbstractConnection

    assert send(api_client, "GET", WHOAMI, signed(api_key)).status_code == 200  # warm: key cache, script
    trips = []
    send_packed = AbstractConnection.send_packed_command
    monkeypatch.setattr(
        AbstractConnection, "send_packed_command", lambda conn, *a, **kw: trips.append(1) or send_packed(conn, *a, **kw)
    )

    assert send(api_client, "GET", WHOAMI, signed(api_key)).status_code == 200

    # The nonce claim and the app's throttle count share one Lua script call.
    assert len(trips) == 1
    monkeypatch.undo()
    nonces = caches["default"].keys(f"sig-nonce:{api_key.key.pk}:*")
    assert len(nonces) == 2
    assert all(0 < caches["default"].ttl(key) <= 301 for key in nonces)


def test_replayed_request_does_not_count_against_the_apps_rate(api_client, settings):
    creds = make_api_client(throttle_rate="2/hour")
    headers = signed(creds)
    assert send(api_client, "GET", WHOAMI, headers).status_code == 200
    for _ in range(3):
        assert_refused(send(api_client, "GET", WHOAMI, headers), "nonce_reused")
    assert send(api_client, "GET", WHOAMI, signed(creds)).status_code == 200


def test_rejected_request_does_not_use_up_its_nonce(api_client, api_key):
    headers = signed(api_key)
    send(api_client, "GET", WHOAMI, {**headers, "Signature": "sig1=:AAAA:"})

    assert send(api_client, "GET", WHOAMI, headers).status_code == 200


def test_signature_created_too_long_ago_returns_401(api_client, api_key, frozen, settings):
    settings.SIGNATURE_MAX_SKEW_SECONDS = 300
    headers = signed(api_key)
    frozen.shift(301)

    assert_refused(send(api_client, "GET", WHOAMI, headers), "signature_expired")


def test_signature_created_in_the_future_returns_401(api_client, api_key, frozen, settings):
    settings.SIGNATURE_MAX_SKEW_SECONDS = 300
    headers = signed(api_key, created=datetime.datetime.fromtimestamp(NOW + 301, tz=datetime.UTC))

    assert_refused(send(api_client, "GET", WHOAMI, headers), "signature_not_yet_valid")


def test_skew_setting_is_read_per_request(api_client, api_key, frozen, settings):
    settings.SIGNATURE_MAX_SKEW_SECONDS = 30
    headers = signed(api_key)
    frozen.shift(31)

    assert_refused(send(api_client, "GET", WHOAMI, headers), "signature_expired")


def test_expired_signature_returns_401(api_client, api_key, frozen):
    headers = signed(api_key, expires=datetime.datetime.fromtimestamp(NOW + 10, tz=datetime.UTC))
    frozen.shift(11)

    assert_refused(send(api_client, "GET", WHOAMI, headers), "signature_expired")


def test_missing_nonce_returns_401(api_client, api_key):
    assert_refused(send(api_client, "GET", WHOAMI, signed(api_key, nonce=None)), "signature_malformed")


def test_unreachable_nonce_store_returns_503(api_client, api_key, settings, cache_down):
    cache_down()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}

    response = send(api_client, "GET", WHOAMI, signed(api_key))

    assert response.status_code == 503
    assert response.json()["code"] == "nonce_store_unavailable"


# --- Credentials: every failure reads the same ------------------------------------------------


def test_wrong_secret_returns_401(api_client, api_key):
    headers = sign("GET", WHOAMI, key_id=api_key.key_id, secret=api_key.secret + "x")

    assert_refused(send(api_client, "GET", WHOAMI, headers), "signature_invalid")


def test_unknown_key_returns_401(api_client, api_key):
    headers = sign("GET", WHOAMI, key_id="unknown-key-id", secret=api_key.secret)

    assert_refused(send(api_client, "GET", WHOAMI, headers), "signature_invalid")


def test_revoked_key_returns_401(api_client, api_key):
    api_key_revoke(key=api_key.key)

    assert_refused(send(api_client, "GET", WHOAMI, signed(api_key)), "signature_invalid")


def test_expired_key_returns_401(api_client, api_key):
    api_key.key.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    api_key.key.save(update_fields=["expires_at"])
    key_cache_clear()

    assert_refused(send(api_client, "GET", WHOAMI, signed(api_key)), "signature_invalid")


def test_inactive_app_returns_401(api_client, api_key):
    api_key.client.is_active = False
    api_key.client.save(update_fields=["is_active"])
    key_cache_clear()

    assert_refused(send(api_client, "GET", WHOAMI, signed(api_key)), "signature_invalid")


def test_credential_failures_read_the_same(api_client, api_key):
    wrong_secret = sign("GET", WHOAMI, key_id=api_key.key_id, secret="wrong")
    unknown_key = sign("GET", WHOAMI, key_id="unknown", secret=api_key.secret)
    revoked = signed(api_key)

    bodies = [send(api_client, "GET", WHOAMI, wrong_secret).json(), send(api_client, "GET", WHOAMI, unknown_key).json()]
    api_key_revoke(key=api_key.key)
    bodies.append(send(api_client, "GET", WHOAMI, revoked).json())

    assert bodies[0] == bodies[1] == bodies[2] == {"detail": "Invalid signature.", "code": "signature_invalid"}


def test_unsigned_request_without_key_returns_401(api_client, api_key):
    response = api_client.get("/api/v1/whoami")

    assert response.status_code == 401
    assert response.json()["code"] == "client_required"
    assert 'Signature realm="api"' in response["WWW-Authenticate"]


# --- Malformed headers: 401 with a code, never a 5xx, never slow -------------------------------


def test_unsupported_alg_returns_401(api_client, api_key):
    headers = signed(api_key)
    headers["Signature-Input"] = headers["Signature-Input"].replace('alg="hmac-sha256"', 'alg="rsa-pss-sha512"')

    assert_refused(send(api_client, "GET", WHOAMI, headers), "signature_algorithm_unsupported")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: {**h, "Signature-Input": "sig1=("},
        lambda h: {**h, "Signature": "sig1=:not base64"},
        lambda h: {**h, "Signature": "sig1=:" + "A" * 100_000 + ":"},
        lambda h: {**h, "Signature-Input": h["Signature-Input"].replace('nonce="', 'nonce="' + "n" * 10_000)},
        lambda h: {**h, "Signature-Input": h["Signature-Input"].replace('nonce="', 'nonce="' + "n" * 200)},
        lambda h: {**h, "Signature-Input": h["Signature-Input"].replace('keyid="', 'keyid="' + "k" * 200)},
        lambda h: {**h, "Signature-Input": h["Signature-Input"].replace("created=", "created=9" * 5)},
        lambda h: {**h, "Signature-Input": h["Signature-Input"] + ";created=1"},
        lambda h: {**h, "Signature-Input": h["Signature-Input"].replace("sig1", "other")},
        lambda h: {"Signature-Input": h["Signature-Input"]},
        lambda h: {"Signature": h["Signature"]},
        lambda h: {**h, "Signature-Input": ""},
        lambda h: {**h, "Signature-Input": 'sig1=("@method" "@target-uri");created=1;keyid="\u00e9";nonce="n"'},
        lambda h: {**h, "Signature-Input": h["Signature-Input"].replace('"@target-uri"', '"@target-uri";sf')},
        lambda h: {**h, "Signature-Input": h["Signature-Input"].replace('"@target-uri"', '"@target-uri" "x-missing"')},
        lambda h: {**h, "Content-Digest": "md5=:AAAA:"},
        lambda h: {**h, "Content-Digest": "sha-256"},
    ],
    ids=[
        "input-unterminated",
        "signature-not-base64",
        "signature-100-kB",
        "nonce-10-kB",
        "nonce-200-chars",
        "keyid-200-chars",
        "created-too-large",
        "duplicate-parameter",
        "labels-differ",
        "signature-missing",
        "input-missing",
        "input-empty",
        "non-ascii",
        "component-parameter",
        "covered-field-absent",
        "digest-unsupported",
        "digest-not-dictionary",
    ],
)
def test_malformed_signature_headers_return_401(api_client, api_key, mangle):
    headers = mangle(signed(api_key))

    response = send(api_client, "GET", WHOAMI, headers)

    assert_refused(response, "signature_malformed")


# --- Behind a TLS-terminating proxy (API.md §3: "@target-uri" is what the client addressed) ---


PROXIED = "https://api.example.com/api/v1/whoami"
FROM_PROXY = {
    "HTTP_HOST": "10.0.0.5:8000",
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_HOST": "api.example.com",
}


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's peer address
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "api.example.com", "10.0.0.5"]


@pytest.mark.parametrize(
    "components",
    [("@method", "@target-uri"), ("@method", "@authority", "@path"), ("@method", "@scheme", "@authority", "@path")],
    ids=["target-uri", "authority-and-path", "scheme"],
)
def test_request_signed_for_public_url_is_accepted_behind_proxy(api_client, api_key, behind_proxy, components):
    headers = signed(api_key, url=PROXIED, components=components)

    response = send(api_client, "GET", "http://10.0.0.5:8000/api/v1/whoami", headers, **FROM_PROXY)

    assert response.status_code == 200, response.content


def test_request_signed_for_public_url_without_proxy_settings_returns_401(api_client, api_key, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]  # X-Forwarded-* from 127.0.0.1 is not believed
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "api.example.com", "10.0.0.5"]
    headers = signed(api_key, url=PROXIED)

    response = send(api_client, "GET", "http://10.0.0.5:8000/api/v1/whoami", headers, **FROM_PROXY)

    assert_refused(response, "signature_invalid")


def test_request_signed_for_plain_http_is_refused_behind_https_proxy(api_client, api_key, behind_proxy):
    headers = signed(api_key, url="http://api.example.com/api/v1/whoami")

    response = send(api_client, "GET", "http://10.0.0.5:8000/api/v1/whoami", headers, **FROM_PROXY)

    assert_refused(response, "signature_invalid")
