"""DPoP with this API's JWTs (API.md §12): bound at /auth/token and /refresh, checked on every use."""

import jwt as pyjwt
import pytest
from rest_framework.test import APIClient

from apiclient.dpop import DPoPKey
from dpop.services import dpop_requirement_set
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.dpop.helpers import TESTSERVER, craft, thumbprint
from tests.helpers import redis_round_trips

TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
WHOAMI = "/api/v1/whoami"
PURCHASES = "/api/v1/purchases/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


def obtain(client: APIClient, user, key: DPoPKey | None):
    headers = {"HTTP_DPOP": key.proof("POST", TESTSERVER + TOKEN)} if key else {}
    return client.post(TOKEN, {"username": user.username, "password": DEFAULT_PASSWORD}, format="json", **headers)


@pytest.fixture
def bound_pair(app_client, user, key) -> dict:
    response = obtain(app_client, user, key)
    assert response.status_code == 200, response.content
    return response.json()


def call(client: APIClient, path: str, token: str, *, proof: str | None, scheme: str = "DPoP", method: str = "get"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return getattr(client, method)(path, **headers)


def assert_dpop_refusal(response, code: str = "invalid_dpop_proof") -> None:
    assert response.status_code == 401, response.content
    assert response.json()["code"] == code
    assert f'DPoP error="{code}"' in response["WWW-Authenticate"]


def test_obtain_with_a_proof_binds_both_tokens_to_the_key(bound_pair, key):
    for name in ("access", "refresh"):
        claims = pyjwt.decode(bound_pair[name], options={"verify_signature": False})
        assert claims["cnf"] == {"jkt": thumbprint(key)}


def test_obtain_without_a_proof_issues_bearer_tokens(app_client, user):
    response = obtain(app_client, user, None)
    assert "cnf" not in pyjwt.decode(response.json()["access"], options={"verify_signature": False})


def test_bound_token_with_a_fresh_proof_is_accepted_and_whoami_names_dpop(app_client, bound_pair, key, user):
    token = bound_pair["access"]
    response = call(app_client, WHOAMI, token, proof=key.proof("GET", TESTSERVER + WHOAMI, access_token=token))
    assert response.status_code == 200, response.content
    assert response.json()["user"] == user.username
    assert response.json()["schemes"] == ["key", "jwt", "dpop"]


def test_bound_token_opens_purchases(app_client, bound_pair, key):
    token = bound_pair["access"]
    response = call(app_client, PURCHASES, token, proof=key.proof("GET", TESTSERVER + PURCHASES, access_token=token))
    assert response.status_code == 200, response.content


def test_bound_token_without_a_proof_returns_401(app_client, bound_pair):
    assert_dpop_refusal(call(app_client, WHOAMI, bound_pair["access"], proof=None))


def test_bound_token_as_bearer_returns_401_invalid_token(app_client, bound_pair, key):
    token = bound_pair["access"]
    proof = key.proof("GET", TESTSERVER + WHOAMI, access_token=token)
    assert_dpop_refusal(call(app_client, WHOAMI, token, proof=proof, scheme="Bearer"), code="invalid_token")


def test_unbound_token_sent_as_dpop_returns_401_invalid_token(app_client, user, key):
    token = obtain(app_client, user, None).json()["access"]
    proof = key.proof("GET", TESTSERVER + WHOAMI, access_token=token)
    assert_dpop_refusal(call(app_client, WHOAMI, token, proof=proof), code="invalid_token")


def test_proof_by_another_key_returns_401(app_client, bound_pair):
    token = bound_pair["access"]
    assert_dpop_refusal(
        call(app_client, WHOAMI, token, proof=DPoPKey().proof("GET", TESTSERVER + WHOAMI, access_token=token))
    )


def test_proof_for_another_url_returns_401(app_client, bound_pair, key):
    token = bound_pair["access"]
    proof = key.proof("GET", TESTSERVER + PURCHASES, access_token=token)
    assert_dpop_refusal(call(app_client, WHOAMI, token, proof=proof))


def test_proof_for_another_method_returns_401(app_client, bound_pair, key):
    token = bound_pair["access"]
    assert_dpop_refusal(
        call(app_client, WHOAMI, token, proof=key.proof("POST", TESTSERVER + WHOAMI, access_token=token))
    )


def test_proof_without_ath_returns_401(app_client, bound_pair, key):
    assert_dpop_refusal(call(app_client, WHOAMI, bound_pair["access"], proof=key.proof("GET", TESTSERVER + WHOAMI)))


def test_replayed_proof_returns_401(app_client, bound_pair, key):
    token = bound_pair["access"]
    proof = key.proof("GET", TESTSERVER + WHOAMI, access_token=token)
    assert call(app_client, WHOAMI, token, proof=proof).status_code == 200
    assert_dpop_refusal(call(app_client, WHOAMI, token, proof=proof))


def test_replay_store_down_returns_503(app_client, bound_pair, key, cache_down):
    token = bound_pair["access"]
    proof = key.proof("GET", TESTSERVER + WHOAMI, access_token=token)
    cache_down()
    response = call(app_client, WHOAMI, token, proof=proof)
    assert response.status_code == 503
    assert response.json()["code"] == "dpop_replay_store_unavailable"


@pytest.mark.parametrize(
    "value",
    ["", "garbage", "a.b", "a.b.c.d.e", "x" * 10_000, "\xff\xfe.\xff.\xff", "a.b.c, d.e.f"],
    ids=["empty", "not-a-jwt", "two-segments", "five-segments", "huge", "non-utf8", "duplicate-headers"],
)
def test_malformed_dpop_header_returns_401_invalid_dpop_proof(app_client, bound_pair, value):
    assert_dpop_refusal(call(app_client, WHOAMI, bound_pair["access"], proof=value))


def test_refresh_with_the_same_key_keeps_the_binding(app_client, bound_pair, key):
    response = app_client.post(
        REFRESH, {"refresh": bound_pair["refresh"]}, format="json", HTTP_DPOP=key.proof("POST", TESTSERVER + REFRESH)
    )
    assert response.status_code == 200, response.content
    claims = pyjwt.decode(response.json()["access"], options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": thumbprint(key)}


@pytest.mark.parametrize("other", [True, False], ids=["another-key", "no-proof"])
def test_bound_refresh_without_its_key_returns_401_and_stays_live(app_client, bound_pair, key, other):
    headers = {"HTTP_DPOP": DPoPKey().proof("POST", TESTSERVER + REFRESH)} if other else {}
    response = app_client.post(REFRESH, {"refresh": bound_pair["refresh"]}, format="json", **headers)
    assert_dpop_refusal(response)
    # Not spent: its holder, with the right key, still refreshes.
    retry = app_client.post(
        REFRESH, {"refresh": bound_pair["refresh"]}, format="json", HTTP_DPOP=key.proof("POST", TESTSERVER + REFRESH)
    )
    assert retry.status_code == 200, retry.content


def test_app_that_requires_dpop_gets_no_token_without_a_proof(app_client, user, api_key):
    dpop_requirement_set(client_id=api_key.client.client_id)
    assert_dpop_refusal(obtain(app_client, user, None))


def test_bad_proof_at_obtain_returns_401_before_the_password_is_checked(app_client, user):
    response = app_client.post(
        TOKEN, {"username": user.username, "password": "wrong"}, format="json", HTTP_DPOP=craft(method="GET")
    )
    assert_dpop_refusal(response)


def test_proof_of_the_public_url_is_accepted_behind_a_trusted_proxy(settings, api_key, user, key):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.ALLOWED_HOSTS = ["api.example.com"]
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    client.credentials(HTTP_X_API_KEY=api_key.key_id)
    public = "https://api.example.com" + TOKEN
    response = client.post(
        TOKEN,
        {"username": user.username, "password": DEFAULT_PASSWORD},
        format="json",
        HTTP_DPOP=key.proof("POST", public),
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="api.example.com",
    )
    assert response.status_code == 200, response.content


def test_forwarded_url_from_an_untrusted_peer_is_not_believed(settings, api_key, user, key):
    settings.ALLOWED_HOSTS = ["api.example.com", "testserver"]
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.key_id)
    response = client.post(
        TOKEN,
        {"username": user.username, "password": DEFAULT_PASSWORD},
        format="json",
        HTTP_DPOP=key.proof("POST", "https://api.example.com" + TOKEN),
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="api.example.com",
    )
    assert_dpop_refusal(response)


@pytest.mark.redis
def test_bound_token_request_makes_one_redis_round_trip(app_client, bound_pair, key):
    token = bound_pair["access"]
    call(app_client, WHOAMI, token, proof=key.proof("GET", TESTSERVER + WHOAMI, access_token=token))  # warm

    with redis_round_trips() as trips:
        response = call(app_client, WHOAMI, token, proof=key.proof("GET", TESTSERVER + WHOAMI, access_token=token))

    assert response.status_code == 200, response.content
    assert len(trips) == 1  # the jti, the app's count, the usage count and the user's tags: one pipeline
