"""AnonymousTokenAuthentication: the token opens the signup endpoints and whoami, and nothing else."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec
from rest_framework import status
from rest_framework.test import APIClient

from accounts.jwt_codec import jwt_claims, jwt_kid
from clients.selectors import key_cache_clear
from purchases.models import Purchase
from tests.clients.factories import make_api_client
from tests.signup.factories import make_anonymous_token, make_token_with
from tests.signup.helpers import CREATE_PERSON, FIND_PERSON

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/whoami"
LOOKUP = {"email": "nobody@example.com"}


def find_person(client, authorization: str | None, **extra):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return client.post(FIND_PERSON, LOOKUP, format="json", **headers, **extra)


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- The authentication cases, for find-person -------------------------------------------------


def test_valid_token_returns_200(app_client, anonymous_token):
    response = find_person(app_client, f"Bearer {anonymous_token}")

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"exists": False}


def test_scheme_name_is_case_insensitive(app_client, anonymous_token):
    assert find_person(app_client, f"bearer {anonymous_token}").status_code == status.HTTP_200_OK


def test_no_header_returns_401_anonymous_token_required(app_client):
    response = find_person(app_client, None)

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "anonymous_token_required"
    assert 'Bearer realm="api"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("authorization", ["Token abc", "Basic dXNlcjpwYXNz"], ids=["session-token", "basic"])
def test_another_scheme_returns_401_anonymous_token_required(app_client, authorization):
    response = find_person(app_client, authorization)

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "anonymous_token_required"


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Bearer", "malformed_credentials"),
        ("Bearer a b", "malformed_credentials"),
        ("Bearer é", "malformed_credentials"),
    ],
    ids=["empty", "two-values", "non-ascii"],
)
def test_malformed_header_returns_401(app_client, authorization, code):
    response = find_person(app_client, authorization)

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == code


def test_users_access_token_returns_401_anonymous_token_required(app_client, api_key, user):
    access = make_token_with(api_key.client.client_id, token_type="access", sub=str(user.pk), username=user.username)

    response = find_person(app_client, f"Bearer {access}")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "anonymous_token_required"


def test_token_signed_with_another_key_returns_401_invalid_token(app_client, api_key):
    claims = jwt_claims(
        sub="anon:x",
        token_type="anonymous",
        client_id=api_key.client.client_id,
        lifetime=timedelta(minutes=10),
        scope="signup",
    )
    forged = jwt.encode(
        claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": jwt_kid(), "typ": "JWT"}
    )

    response = find_person(app_client, f"Bearer {forged}")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"


def test_token_with_alg_none_returns_401_invalid_token(app_client, api_key, anonymous_token):
    _, payload, _ = anonymous_token.split(".")
    unsigned = f"{b64url({'alg': 'none', 'typ': 'JWT', 'kid': jwt_kid()})}.{payload}."

    response = find_person(app_client, f"Bearer {unsigned}")

    # Not even a JWS: no scheme claims it, so the endpoint still asks for a token.
    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_tampered_claims_return_401_invalid_token(app_client, api_key, anonymous_token):
    header, payload, signature = anonymous_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] += 3600

    response = find_person(app_client, f"Bearer {header}.{b64url(claims)}.{signature}")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"


def test_expired_token_returns_401_invalid_token(app_client, api_key):
    with time_machine.travel(1_800_000_000, tick=False):
        token = make_anonymous_token(api_key.client.client_id)
    with time_machine.travel(1_800_000_000 + 600 + 11, tick=False):  # past exp and the 10 s leeway
        response = find_person(app_client, f"Bearer {token}")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"


def test_token_just_before_expiry_returns_200(app_client, api_key):
    with time_machine.travel(1_800_000_000, tick=False):
        token = make_anonymous_token(api_key.client.client_id)
    with time_machine.travel(1_800_000_000 + 599, tick=False):
        assert find_person(app_client, f"Bearer {token}").status_code == status.HTTP_200_OK


def test_token_without_signup_scope_returns_403_insufficient_scope(app_client, api_key):
    token = make_token_with(api_key.client.client_id, scope="profile")

    response = find_person(app_client, f"Bearer {token}")

    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json()["code"] == "insufficient_scope"


def test_token_of_another_app_returns_401_client_mismatch(anonymous_token):
    other = make_api_client("Other app")

    response = find_person(APIClient(), f"Bearer {anonymous_token}", HTTP_X_API_KEY=other.key_id)

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "client_mismatch"


def test_token_without_app_key_returns_401_client_required(api_client, anonymous_token):
    response = find_person(api_client, f"Bearer {anonymous_token}")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "client_required"


def test_token_of_deactivated_app_returns_401(app_client, api_key, anonymous_token):
    api_key.client.is_active = False
    api_key.client.save()
    key_cache_clear()

    response = find_person(app_client, f"Bearer {anonymous_token}")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_api_key"


def test_consumed_token_returns_401_invalid_token(signup_client):
    created = signup_client.post(
        CREATE_PERSON,
        {"username": "ada", "email": "ada@example.com", "password": "analytical-engine-1843"},
        format="json",
    )
    assert created.status_code == status.HTTP_201_CREATED

    response = signup_client.post(FIND_PERSON, LOOKUP, format="json")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"


# --- whoami, and every other route ---------------------------------------------------------


def test_whoami_names_the_app_and_the_anonymous_scheme(signup_client, api_key):
    response = signup_client.get(WHOAMI)

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"user": None, "client": api_key.client.client_id, "schemes": ["key", "anonymous"]}


def test_whoami_with_tampered_token_returns_401_invalid_token(app_client, anonymous_token):
    header, payload, _ = anonymous_token.split(".")
    other_signature = make_anonymous_token("another-client").split(".")[2]

    response = app_client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {header}.{payload}.{other_signature}")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/purchases/"),
        ("post", "/api/v1/purchases/"),
        ("get", "/api/v1/auth/sessions"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/logout-all"),
        ("get", "/api/v1/clients/{client_id}/usage"),
    ],
    ids=["purchases-list", "purchases-create", "sessions", "logout", "logout-all", "usage"],
)
def test_anonymous_token_opens_no_other_route(signup_client, api_key, method, path):
    url = path.format(client_id=api_key.client.client_id)
    body = {"item": "book", "quantity": 1, "unit_price": "9.99"}

    response = getattr(signup_client, method)(url, body, format="json")

    assert response.status_code in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN)


def test_anonymous_token_creates_no_purchase(signup_client):
    signup_client.post("/api/v1/purchases/", {"item": "book", "quantity": 1, "unit_price": "9.99"}, format="json")

    assert not Purchase.objects.exists()


def test_anonymous_token_does_not_verify_as_a_user_token(app_client, anonymous_token):
    response = app_client.post("/api/v1/auth/token/verify", {"token": anonymous_token}, format="json")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_anonymous_token_cannot_be_refreshed(app_client, anonymous_token):
    response = app_client.post("/api/v1/auth/token/refresh", {"refresh": anonymous_token}, format="json")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_user_token_opens_no_signup_route(app_client, api_key, user):
    access = make_token_with(api_key.client.client_id, token_type="access", sub=str(user.pk), username=user.username)

    response = app_client.post(
        CREATE_PERSON,
        {"username": "eve", "email": "eve@example.com", "password": "correct-horse-battery"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "anonymous_token_required"
