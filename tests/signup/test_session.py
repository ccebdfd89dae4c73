"""GET /signup/captcha and POST /signup/session: a solved captcha, once, buys one anonymous token."""

import base64
import json
import time

import jwt
import pytest
import time_machine
from altcha import create_challenge
from rest_framework import status
from rest_framework.test import APIClient

from accounts.jwt_codec import jwt_decode, jwt_kid
from tests.clients.factories import make_api_client
from tests.signup.helpers import CAPTCHA, SESSION, solve, solved_captcha

pytestmark = pytest.mark.django_db


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- GET /signup/captcha ---------------------------------------------------------------------


def test_captcha_returns_altcha_challenge(app_client):
    response = app_client.get(CAPTCHA)

    assert response.status_code == status.HTTP_200_OK
    assert set(response.json()) == {"parameters", "signature"}
    assert response.json()["parameters"]["algorithm"] == "PBKDF2/SHA-256"
    assert response["Cache-Control"] == "no-store"


def test_captcha_with_trailing_slash_returns_200(app_client):
    assert app_client.get(CAPTCHA + "/").status_code == status.HTTP_200_OK


def test_captcha_without_app_returns_401_client_required(api_client):
    response = api_client.get(CAPTCHA)

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "client_required"
    assert "WWW-Authenticate" in response


# --- POST /signup/session --------------------------------------------------------------------


def test_solved_captcha_returns_201_with_anonymous_token(app_client, api_key):
    response = app_client.post(SESSION, {"captcha": solved_captcha(app_client)}, format="json")

    assert response.status_code == status.HTTP_201_CREATED
    assert set(response.json()) == {"token", "expires_in"}
    assert response.json()["expires_in"] == 600
    assert response["Cache-Control"] == "no-store"


def test_anonymous_token_carries_the_contracts_claims(app_client, api_key):
    with time_machine.travel(1_800_000_000, tick=False):
        token = app_client.post(SESSION, {"captcha": solved_captcha(app_client)}, format="json").json()["token"]
        claims = jwt_decode(token, token_type="anonymous")

    assert claims["sub"].startswith("anon:") and len(claims["sub"]) == len("anon:") + 36
    assert claims["token_type"] == "anonymous"
    assert claims["scope"] == "signup"
    assert claims["client_id"] == api_key.client.client_id
    assert (claims["iat"], claims["exp"]) == (1_800_000_000, 1_800_000_600)
    assert jwt.get_unverified_header(token)["kid"] == jwt_kid()


def test_each_token_has_its_own_subject_and_jti(app_client):
    first = jwt.decode(
        app_client.post(SESSION, {"captcha": solved_captcha(app_client)}, format="json").json()["token"],
        options={"verify_signature": False},
    )
    second = jwt.decode(
        app_client.post(SESSION, {"captcha": solved_captcha(app_client)}, format="json").json()["token"],
        options={"verify_signature": False},
    )

    assert first["sub"] != second["sub"]
    assert first["jti"] != second["jti"]


def test_token_lifetime_follows_setting(app_client, settings):
    settings.SIGNUP_ANONYMOUS_TOKEN_SECONDS = 120

    response = app_client.post(SESSION, {"captcha": solved_captcha(app_client)}, format="json")

    claims = jwt_decode(response.json()["token"], token_type="anonymous")
    assert response.json()["expires_in"] == 120
    assert claims["exp"] - claims["iat"] == 120


def test_session_without_app_returns_401_client_required(app_client):
    captcha = solved_captcha(app_client)

    response = APIClient().post(SESSION, {"captcha": captcha}, format="json")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "client_required"


def test_reused_captcha_returns_400_captcha_invalid(app_client):
    captcha = solved_captcha(app_client)
    assert app_client.post(SESSION, {"captcha": captcha}, format="json").status_code == status.HTTP_201_CREATED

    response = app_client.post(SESSION, {"captcha": captcha}, format="json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "captcha_invalid"


def test_captcha_solved_for_one_app_is_spent_for_every_app(app_client):
    captcha = solved_captcha(app_client)
    app_client.post(SESSION, {"captcha": captcha}, format="json")
    other = make_api_client("Other app")

    response = APIClient().post(SESSION, {"captcha": captcha}, format="json", HTTP_X_API_KEY=other.key_id)

    assert response.json()["code"] == "captcha_invalid"


def test_expired_captcha_returns_400_captcha_invalid(app_client, settings):
    with time_machine.travel(1_800_000_000, tick=False):
        captcha = solved_captcha(app_client)
    with time_machine.travel(1_800_000_000 + settings.SIGNUP_CAPTCHA_TTL_SECONDS + 1, tick=False):
        response = app_client.post(SESSION, {"captcha": captcha}, format="json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "captcha_invalid"


def test_captcha_signed_with_another_key_returns_400_captcha_invalid(app_client):
    forged = create_challenge("PBKDF2/SHA-256", 1, counter=3, expires_at=int(time.time()) + 300, hmac_secret="not-ours")

    response = app_client.post(SESSION, {"captcha": solve(forged.to_dict())}, format="json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "captcha_invalid"


def test_captcha_with_forged_solution_returns_400_captcha_invalid(app_client):
    data = json.loads(base64.b64decode(solved_captcha(app_client)))
    data["solution"]["derivedKey"] = "00" * 32

    response = app_client.post(SESSION, {"captcha": b64(json.dumps(data))}, format="json")

    assert response.json()["code"] == "captcha_invalid"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"captcha": None},
        {"captcha": ""},
        {"captcha": 42},
        {"captcha": True},
        {"captcha": ["payload"]},
        {"captcha": {"challenge": {}, "solution": {}}},
        {"captcha": "not base64!"},
        {"captcha": "a\x00b"},
        {"captcha": "\ud800"},
        {"captcha": b64("[]")},
        {"captcha": "A" * 10_000},
        {"captcha": b64("[" * 50_000 + "]" * 50_000)},
        {"other": "field"},
        [],
        ["captcha"],
        "captcha",
        42,
        None,
    ],
    ids=[
        "missing",
        "null",
        "empty",
        "number",
        "boolean",
        "array",
        "object",
        "not-base64",
        "null-byte",
        "lone-surrogate",
        "json-array-inside",
        "10-kb",
        "deeply-nested",
        "other-field",
        "body-empty-array",
        "body-array",
        "body-string",
        "body-number",
        "body-null",
    ],
)
def test_bad_captcha_returns_400_captcha_invalid(app_client, body):
    response = app_client.post(SESSION, json.dumps(body), content_type="application/json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "captcha_invalid"


def test_body_that_is_not_json_returns_400_parse_error(app_client):
    response = app_client.post(SESSION, '{"captcha": ', content_type="application/json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "parse_error"


def test_body_over_the_size_limit_returns_413(app_client, settings):
    captcha = "A" * (settings.API_MAX_BODY_BYTES + 1)

    response = app_client.post(SESSION, json.dumps({"captcha": captcha}), content_type="application/json")

    assert response.status_code == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


def test_refused_captcha_issues_no_token_and_spends_nothing(app_client):
    captcha = solved_captcha(app_client)
    data = json.loads(base64.b64decode(captcha))
    data["solution"]["counter"] += 1
    app_client.post(SESSION, {"captcha": b64(json.dumps(data))}, format="json")

    assert app_client.post(SESSION, {"captcha": captcha}, format="json").status_code == status.HTTP_201_CREATED


# --- Tokens minted per IP --------------------------------------------------------------------


@time_machine.travel("2026-11-22 12:00:00", tick=False)
def test_session_over_the_ip_rate_returns_429_with_retry_after(app_client, settings):
    settings.SIGNUP_SESSION_RATE_PER_IP = "3/hour"
    captchas = [solved_captcha(app_client) for _ in range(4)]

    codes = [app_client.post(SESSION, {"captcha": c}, format="json").status_code for c in captchas[:3]]
    response = app_client.post(SESSION, {"captcha": captchas[3]}, format="json")

    assert codes == [201, 201, 201]
    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert response["Retry-After"] == "3600"
    assert response.json()["code"] == "throttled"


def test_session_refused_by_ip_rate_does_not_spend_the_captcha(app_client, settings):
    settings.SIGNUP_SESSION_RATE_PER_IP = "1/hour"
    app_client.post(SESSION, {"captcha": solved_captcha(app_client)}, format="json")
    captcha = solved_captcha(app_client)

    assert app_client.post(SESSION, {"captcha": captcha}, format="json").status_code == 429
    settings.SIGNUP_SESSION_RATE_PER_IP = "10/hour"
    assert app_client.post(SESSION, {"captcha": captcha}, format="json").status_code == 201


def test_each_ip_has_its_own_session_budget(app_client, settings):
    settings.SIGNUP_SESSION_RATE_PER_IP = "1/hour"
    first = app_client.post(SESSION, {"captcha": solved_captcha(app_client)}, format="json", REMOTE_ADDR="198.51.100.1")
    second = app_client.post(
        SESSION, {"captcha": solved_captcha(app_client)}, format="json", REMOTE_ADDR="198.51.100.2"
    )

    assert (first.status_code, second.status_code) == (201, 201)
