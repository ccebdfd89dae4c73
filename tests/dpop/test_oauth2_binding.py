"""DPoP at the OAuth2 server (RFC 9449 §5, §6, §7): bound at /o/token/ for every grant, checked on use."""

import base64

import jwt as pyjwt
import pytest

from apiclient.dpop import DPoPKey
from dpop.models import BoundRefreshFamily
from dpop.services import dpop_requirement_set
from oauth.models import OAuthApplication
from tests.dpop.helpers import TESTSERVER, thumbprint
from tests.dpop.test_jwt_binding import assert_dpop_refusal, call
from tests.helpers import redis_round_trips
from tests.oauth.helpers import (
    CLIENT_SECRET,
    REDIRECT_URI,
    authorization_code,
    make_application,
    make_introspector,
    make_pkce,
)

TOKEN_URL = TESTSERVER + "/o/token/"
WHOAMI = "/api/v1/whoami"
PURCHASES = "/api/v1/purchases/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


@pytest.fixture
def app() -> OAuthApplication:
    return make_application()


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


def token_request(client, key: DPoPKey | None, **data):
    headers = {"HTTP_DPOP": key.proof("POST", TOKEN_URL)} if key else {}
    return client.post("/o/token/", data, **headers)


def code_tokens(browser, app, key, scope="purchases:read"):
    pkce = make_pkce()
    code = authorization_code(browser, app, pkce, scope)
    return token_request(
        browser,
        key,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        client_id=app.client_id,
        code_verifier=pkce.verifier,
    )


def claims_of(token: str) -> dict:
    return pyjwt.decode(token, options={"verify_signature": False})


def test_code_grant_with_a_proof_issues_a_dpop_token(browser, app, key):
    response = code_tokens(browser, app, key)
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    assert claims_of(response.json()["access_token"])["cnf"] == {"jkt": thumbprint(key)}
    assert BoundRefreshFamily.objects.get().jkt == thumbprint(key)


def test_code_grant_without_a_proof_stays_bearer(browser, app):
    response = code_tokens(browser, app, None)
    assert response.json()["token_type"] == "Bearer"
    assert "cnf" not in claims_of(response.json()["access_token"])


def test_client_credentials_with_a_proof_issues_a_dpop_token(client, key):
    app = make_application(
        client_type="confidential", grant=OAuthApplication.GRANT_CLIENT_CREDENTIALS, redirect_uris=""
    )
    response = token_request(
        client, key, grant_type="client_credentials", client_id=app.client_id, client_secret=CLIENT_SECRET
    )
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    token = response.json()["access_token"]
    whoami = call(client, WHOAMI, token, proof=key.proof("GET", TESTSERVER + WHOAMI, access_token=token))
    assert whoami.json() == {"user": None, "client": app.client_id, "schemes": ["oauth2", "dpop"]}


def test_bound_oauth2_token_with_its_proof_opens_purchases(browser, app, key, user):
    token = code_tokens(browser, app, key).json()["access_token"]
    response = call(browser, PURCHASES, token, proof=key.proof("GET", TESTSERVER + PURCHASES, access_token=token))
    assert response.status_code == 200, response.content


@pytest.mark.redis
def test_bound_oauth2_token_request_makes_one_redis_round_trip(api_client, browser, app, key):
    token = code_tokens(browser, app, key).json()["access_token"]
    call(api_client, WHOAMI, token, proof=key.proof("GET", TESTSERVER + WHOAMI, access_token=token))  # warm

    with redis_round_trips() as trips:
        response = call(api_client, WHOAMI, token, proof=key.proof("GET", TESTSERVER + WHOAMI, access_token=token))

    assert response.status_code == 200, response.content
    assert len(trips) == 1  # the jti, the app's count and the user's tags: one pipeline


def test_bound_oauth2_token_as_bearer_returns_401_invalid_token(browser, app, key):
    token = code_tokens(browser, app, key).json()["access_token"]
    proof = key.proof("GET", TESTSERVER + WHOAMI, access_token=token)
    assert_dpop_refusal(call(browser, WHOAMI, token, proof=proof, scheme="Bearer"), code="invalid_token")


def test_bound_oauth2_token_with_another_keys_proof_returns_401(browser, app, key):
    token = code_tokens(browser, app, key).json()["access_token"]
    assert_dpop_refusal(
        call(browser, WHOAMI, token, proof=DPoPKey().proof("GET", TESTSERVER + WHOAMI, access_token=token))
    )


def test_bound_oauth2_token_without_a_proof_returns_401(browser, app, key):
    token = code_tokens(browser, app, key).json()["access_token"]
    assert_dpop_refusal(call(browser, WHOAMI, token, proof=None))


def refresh(client, app, refresh_token, key):
    return token_request(client, key, grant_type="refresh_token", refresh_token=refresh_token, client_id=app.client_id)


def test_bound_refresh_with_the_same_key_stays_bound(browser, app, key):
    first = code_tokens(browser, app, key).json()
    second = refresh(browser, app, first["refresh_token"], key)
    assert second.status_code == 200, second.content
    assert second.json()["token_type"] == "DPoP"
    assert claims_of(second.json()["access_token"])["cnf"] == {"jkt": thumbprint(key)}


@pytest.mark.parametrize("other", [True, False], ids=["another-key", "no-proof"])
def test_bound_refresh_without_its_key_is_refused(browser, app, key, other):
    first = code_tokens(browser, app, key).json()
    response = refresh(browser, app, first["refresh_token"], DPoPKey() if other else None)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"
    assert refresh(browser, app, first["refresh_token"], key).status_code == 200  # not spent


def test_bad_proof_at_the_token_endpoint_is_invalid_dpop_proof(browser, app, key):
    response = browser.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_DPOP="not.a.proof")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"


def test_replayed_proof_at_the_token_endpoint_is_refused(browser, app, key):
    proof = key.proof("POST", TOKEN_URL)
    first = browser.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_DPOP=proof)
    again = browser.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_DPOP=proof)
    assert first.json()["error"] != "invalid_dpop_proof"
    assert again.json()["error"] == "invalid_dpop_proof"


def test_application_that_requires_dpop_gets_no_token_without_a_proof(browser, app):
    dpop_requirement_set(client_id=app.client_id)
    response = code_tokens(browser, app, None)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"


def test_introspection_returns_cnf_and_token_type_dpop(browser, app, key):
    token = code_tokens(browser, app, key).json()["access_token"]
    introspector = make_introspector()
    basic = base64.b64encode(f"{introspector.client_id}:{CLIENT_SECRET}".encode()).decode()
    data = browser.post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=f"Basic {basic}").json()
    assert data["active"] is True
    assert data["cnf"] == {"jkt": thumbprint(key)}
    assert data["token_type"] == "DPoP"


def test_discovery_advertises_the_dpop_algorithms(client):
    for path in ("/o/.well-known/openid-configuration", "/o/.well-known/oauth-authorization-server"):
        metadata = client.get(path).json()
        assert metadata["dpop_signing_alg_values_supported"] == ["ES256", "EdDSA", "RS256", "PS256"]
