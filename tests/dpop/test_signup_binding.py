"""DPoP with anonymous signup tokens (API.md §7, §12): bound at /signup/session, checked on use."""

import jwt as pyjwt
import pytest

from apiclient.dpop import DPoPKey
from tests.dpop.helpers import TESTSERVER, thumbprint
from tests.dpop.test_jwt_binding import assert_dpop_refusal, call
from tests.signup.helpers import FIND_PERSON, SESSION, solved_captcha

pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


def bound_session(client, key):
    captcha = solved_captcha(client)
    return client.post(SESSION, {"captcha": captcha}, format="json", HTTP_DPOP=key.proof("POST", TESTSERVER + SESSION))


def find(client, token, proof, scheme="DPoP"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return client.post(FIND_PERSON, {"username": "nobody"}, format="json", **headers)


def test_session_with_a_proof_issues_a_bound_anonymous_token(app_client, key):
    response = bound_session(app_client, key)
    assert response.status_code == 201, response.content
    claims = pyjwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": thumbprint(key)}


def test_bound_anonymous_token_with_its_proof_is_accepted(app_client, key):
    token = bound_session(app_client, key).json()["token"]
    response = find(app_client, token, key.proof("POST", TESTSERVER + FIND_PERSON, access_token=token))
    assert response.status_code == 200, response.content
    whoami = call(
        app_client, "/api/v1/whoami", token, proof=key.proof("GET", TESTSERVER + "/api/v1/whoami", access_token=token)
    )
    assert whoami.json()["schemes"] == ["key", "anonymous", "dpop"]


def test_bound_anonymous_token_as_bearer_returns_401(app_client, key):
    token = bound_session(app_client, key).json()["token"]
    assert_dpop_refusal(find(app_client, token, None, scheme="Bearer"), code="invalid_token")


def test_bound_anonymous_token_with_another_key_returns_401(app_client, key):
    token = bound_session(app_client, key).json()["token"]
    assert_dpop_refusal(find(app_client, token, DPoPKey().proof("POST", TESTSERVER + FIND_PERSON, access_token=token)))


def test_bad_proof_at_session_does_not_spend_the_captcha(app_client, key):
    captcha = solved_captcha(app_client)
    refused = app_client.post(
        SESSION, {"captcha": captcha}, format="json", HTTP_DPOP=key.proof("GET", TESTSERVER + SESSION)
    )
    assert_dpop_refusal(refused)
    accepted = app_client.post(
        SESSION, {"captcha": captcha}, format="json", HTTP_DPOP=key.proof("POST", TESTSERVER + SESSION)
    )
    assert accepted.status_code == 201, accepted.content
