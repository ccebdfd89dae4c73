"""POST /api/v1/signup/session with a client attestation instead of a captcha (API.md §13, --signup-proof)."""

import pytest
from rest_framework import status

from accounts.jwt_codec import jwt_decode
from clients.models import ApiClient
from tests.clients.factories import make_api_client
from tests.signup.helpers import CAPTCHA, FIND_PERSON, SESSION, solve, solved_captcha

pytestmark = pytest.mark.django_db


@pytest.fixture
def attested_app(attester):
    """Return a function registering an app with this signup proof and its attester."""

    def make(proof: str):
        credentials = make_api_client(name=f"{proof} app", signup_proof=proof)
        attester.register_pem(credentials.client.client_id)
        return credentials, attester.attest(credentials.client.client_id)

    return make


def claims_of(response) -> dict:
    assert response.status_code == status.HTTP_201_CREATED, response.content
    return jwt_decode(response.json()["token"], token_type="anonymous")


@pytest.mark.parametrize("proof", [ApiClient.SignupProof.ATTESTATION, ApiClient.SignupProof.EITHER])
def test_attested_app_starts_a_signup_without_captcha(api_client, attested_app, proof):
    credentials, instance = attested_app(proof)

    claims = claims_of(api_client.post(SESSION, {}, format="json", **instance.headers()))

    assert claims["signup_proof"] == "attestation"
    assert claims["client_id"] == credentials.client.client_id


def test_attestation_only_app_with_a_key_and_a_captcha_returns_401(api_client, attested_app):
    credentials, _ = attested_app(ApiClient.SignupProof.ATTESTATION)
    api_client.credentials(HTTP_X_API_KEY=credentials.key_id)

    response = api_client.post(SESSION, {"captcha": solved_captcha(api_client)}, format="json")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "attestation_required"
    assert "WWW-Authenticate" in response


def test_either_app_with_a_key_uses_the_captcha(api_client, attested_app):
    credentials, _ = attested_app(ApiClient.SignupProof.EITHER)
    api_client.credentials(HTTP_X_API_KEY=credentials.key_id)

    claims = claims_of(api_client.post(SESSION, {"captcha": solved_captcha(api_client)}, format="json"))

    assert claims["signup_proof"] == "captcha"


def test_either_app_with_a_key_and_no_captcha_returns_400(api_client, attested_app):
    credentials, _ = attested_app(ApiClient.SignupProof.EITHER)
    api_client.credentials(HTTP_X_API_KEY=credentials.key_id)

    response = api_client.post(SESSION, {}, format="json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "captcha_invalid"


def test_captcha_app_still_needs_a_captcha_when_attested(api_client, attested_app):
    _, instance = attested_app(ApiClient.SignupProof.CAPTCHA)

    response = api_client.post(SESSION, {}, format="json", **instance.headers())

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "captcha_invalid"


def test_captcha_app_attested_with_a_captcha_records_the_captcha(api_client, attested_app):
    _, instance = attested_app(ApiClient.SignupProof.CAPTCHA)
    captcha = solve(api_client.get(CAPTCHA, **instance.headers()).json())

    response = api_client.post(SESSION, {"captcha": captcha}, format="json", **instance.headers())

    assert claims_of(response)["signup_proof"] == "captcha"


def test_default_signup_proof_is_captcha(app_client, api_key):
    assert api_key.client.signup_proof == ApiClient.SignupProof.CAPTCHA
    claims = claims_of(app_client.post(SESSION, {"captcha": solved_captcha(app_client)}, format="json"))
    assert claims["signup_proof"] == "captcha"


def test_replayed_attestation_pop_buys_no_second_token(api_client, attested_app):
    _, instance = attested_app(ApiClient.SignupProof.ATTESTATION)
    headers = instance.headers()
    assert api_client.post(SESSION, {}, format="json", **headers).status_code == status.HTTP_201_CREATED

    response = api_client.post(SESSION, {}, format="json", **headers)

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_client_attestation"


def test_attestation_token_opens_find_person_with_a_fresh_pop(api_client, attested_app, user):
    _, instance = attested_app(ApiClient.SignupProof.ATTESTATION)
    token = api_client.post(SESSION, {}, format="json", **instance.headers()).json()["token"]

    response = api_client.post(
        FIND_PERSON,
        {"username": user.username},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **instance.headers(),
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json() == {"exists": True}
