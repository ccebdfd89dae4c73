"""JWTAuthentication: `Authorization: Bearer <access token>` next to the app's key."""

import json
from datetime import timedelta

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient, APIRequestFactory

from accounts import jwt_codec
from accounts.authentication import JWTAuthentication
from accounts.models import User
from accounts.services.refresh_tokens import token_pair_obtain
from accounts.tokens import InvalidToken
from purchases.models import Purchase
from tests.accounts.helpers import b64url, forge, hmac_confused_token, signed_token
from tests.clients.factories import ApiCredentials, make_api_client

WHOAMI = "/api/v1/whoami"


@pytest.fixture
def pair(user, api_key: ApiCredentials):
    return token_pair_obtain(user=user, client_id=api_key.client.client_id)


def bearer(client: APIClient, api_key: ApiCredentials | None, token: str) -> APIClient:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if api_key is not None:
        headers["HTTP_X_API_KEY"] = api_key.key_id
    client.credentials(**headers)
    return client


def access_claims(user, api_key: ApiCredentials, **overrides) -> dict:
    made = jwt_codec.jwt_claims(
        sub=str(user.pk),
        token_type="access",
        client_id=api_key.client.client_id,
        lifetime=timedelta(minutes=5),
        username=user.username,
    )
    return {**made, **overrides}


def assert_rejected(response, code: str = "invalid_token") -> None:
    assert response.status_code == 401, response.content
    assert response.json()["code"] == code
    assert 'Bearer realm="api"' in response["WWW-Authenticate"]


# --- success -----------------------------------------------------------------------------------------


def test_access_token_with_app_key_authenticates_user(api_client, api_key, user, pair):
    response = bearer(api_client, api_key, pair.access).get(WHOAMI)

    assert response.status_code == 200
    assert response.json() == {"user": user.username, "client": api_key.client.client_id, "schemes": ["key", "jwt"]}


def test_authenticated_request_makes_no_query_once_the_user_is_copied(api_client, api_key, user, pair):
    client = bearer(api_client, api_key, pair.access)
    with CaptureQueriesContext(connection) as first:
        client.get(WHOAMI)  # loads the app key and this worker's copy of the user

    with CaptureQueriesContext(connection) as queries:
        response = client.get(WHOAMI)

    assert response.status_code == 200
    assert any(str(user.pk) in query["sql"] and "accounts_user" in query["sql"] for query in first)
    assert len(queries) == 0  # is_active is still checked: the copy's tags are read every request


def test_scheme_name_is_case_insensitive(api_client, api_key, pair):
    api_client.credentials(HTTP_AUTHORIZATION=f"bearer {pair.access}", HTTP_X_API_KEY=api_key.key_id)

    assert api_client.get(WHOAMI).json()["schemes"] == ["key", "jwt"]


def test_user_works_with_the_orm_and_permissions(api_client, api_key, user, other_user, pair):
    client = bearer(api_client, api_key, pair.access)

    created = client.post("/api/v1/purchases/", {"item": "Book", "quantity": 2, "unit_price": "3.50"}, format="json")
    listed = client.get("/api/v1/purchases/")
    foreign = Purchase.objects.create(owner=other_user, item="Pen", quantity=1, unit_price="1.00")
    refused = client.get(f"/api/v1/purchases/{foreign.pk}/")

    assert created.status_code == 201 and created.json()["owner"] == user.username
    assert Purchase.objects.get(pk=created.json()["id"]).owner == user
    assert [p["id"] for p in listed.json()["results"]] == [created.json()["id"]]
    assert refused.status_code == 403


def test_user_fields_come_from_the_database_not_the_token(api_client, api_key, user, pair):
    client = bearer(api_client, api_key, pair.access)
    assert client.get(WHOAMI).json()["user"] == user.username  # this worker now holds a copy
    user.username = "changed"
    user.save()

    assert client.get(WHOAMI).json()["user"] == "changed"


def test_deactivated_user_access_token_returns_401_at_once(api_client, api_key, user, pair):
    client = bearer(api_client, api_key, pair.access)
    assert client.get(WHOAMI).status_code == 200

    User.objects.filter(pk=user.pk).update(is_active=False)  # even a write that sends no signal

    assert_rejected(client.get(WHOAMI))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/whoami", None),
        ("get", "/api/v1/purchases/", None),
        ("post", "/api/v1/purchases/", {"item": "Book", "quantity": 1, "unit_price": "1.00"}),
        ("post", "/api/v1/auth/logout-all", None),
        ("get", "/api/v1/auth/sessions", None),
        ("get", "/api/v1/clients/{client_id}/usage", None),
    ],
    ids=["whoami", "purchases-list", "purchase-create", "logout-all", "sessions", "usage"],
)
def test_deleted_user_access_token_returns_401_not_500(api_client, api_key, user, pair, method, path, body):
    User.objects.filter(pk=user.pk).update(is_staff=True)  # usage is staff-only
    client = bearer(api_client, api_key, pair.access)
    user.delete()

    response = getattr(client, method)(path.format(client_id=api_key.client.client_id), body, format="json")

    assert_rejected(response)
    assert 'Bearer realm="api"' in response["WWW-Authenticate"]


# --- not ours ----------------------------------------------------------------------------------------


def test_no_header_is_not_ours():
    request = APIRequestFactory().get(WHOAMI)

    assert JWTAuthentication().authenticate(request) is None


@pytest.mark.parametrize("header", ["Token abc", "Basic dXNlcjpwYXNz", "Key abc", "Bearerx abc"])
def test_other_schemes_are_not_ours(header):
    request = APIRequestFactory().get(WHOAMI, HTTP_AUTHORIZATION=header)

    assert JWTAuthentication().authenticate(request) is None


def test_oauth2_access_token_is_passed_on(user, api_key):
    """RFC 9068 `typ: at+jwt` with the OAuth2 server's kid: OAuth2Authentication's to verify."""
    oidc_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = pyjwt.encode(
        access_claims(user, api_key), oidc_key, algorithm="RS256", headers={"kid": "oidc", "typ": "at+jwt"}
    )
    request = APIRequestFactory().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert JWTAuthentication().authenticate(request) is None


# --- rejections: each one a 401 --------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Bearer", "Bearer  ", "Bearer a b"], ids=["empty", "blank", "two-values"])
def test_malformed_header_returns_401(api_client, api_key, header):
    api_client.credentials(HTTP_AUTHORIZATION=header, HTTP_X_API_KEY=api_key.key_id)

    assert_rejected(api_client.get(WHOAMI), code="malformed_credentials")


def _alg_none(user, api_key) -> str:
    header = {"alg": "none", "kid": jwt_codec.jwt_kid(), "typ": "JWT"}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(access_claims(user, api_key)).encode())}."


def _unknown_kid(user, api_key) -> str:
    stranger = ec.generate_private_key(ec.SECP256R1())
    return pyjwt.encode(access_claims(user, api_key), stranger, algorithm="ES256", headers={"kid": "k1", "typ": "JWT"})


def _no_kid(user, api_key) -> str:
    stranger = ec.generate_private_key(ec.SECP256R1())
    return pyjwt.encode(access_claims(user, api_key), stranger, algorithm="ES256")


def _tampered(user, api_key) -> str:
    header, _, signature = signed_token(access_claims(user, api_key)).split(".")
    escalated = access_claims(user, api_key, sub="1", username="admin")
    return f"{header}.{b64url(json.dumps(escalated).encode())}.{signature}"


def _expired(user, api_key) -> str:
    return signed_token(access_claims(user, api_key, exp=1_600_000_000, iat=1_599_999_700))


REJECTED = {
    "alg-none": _alg_none,
    "alg-confusion-hs256-public-key": lambda user, key: hmac_confused_token(access_claims(user, key)),
    "wrong-iss": lambda user, key: signed_token(access_claims(user, key, iss="https://evil.example")),
    "wrong-aud": lambda user, key: signed_token(access_claims(user, key, aud="another-api")),
    "expired": _expired,
    "not-yet-valid": lambda user, key: signed_token(access_claims(user, key, nbf=4_000_000_000)),
    "issued-in-the-future": lambda user, key: signed_token(access_claims(user, key, iat=4_000_000_000)),
    "tampered-payload": _tampered,
    "unknown-kid": _unknown_kid,
    "no-kid": _no_kid,
    "refresh-as-access": lambda user, key: token_pair_obtain(user=user, client_id=key.client.client_id).refresh,
    "no-token-type": lambda user, key: signed_token({**access_claims(user, key), "token_type": None}),
    "sub-not-a-user-id": lambda user, key: signed_token(access_claims(user, key, sub="anon:0b1d")),
    "garbage": lambda user, key: "garbage",
    "100kb": lambda user, key: "eyJhbGciOiJFUzI1NiJ9." + "A" * 100_000 + ".sig",
    "non-base64-segments": lambda user, key: "e$J.*&^.%%%",
    "payload-not-an-object": lambda user, key: forge(
        json.dumps({"alg": "ES256", "kid": jwt_codec.jwt_kid(), "typ": "JWT"}).encode(), b"[1, 2, 3]"
    ),
    "exp-as-string": lambda user, key: signed_token(access_claims(user, key, exp="4000000000")),
    "huge-numbers": lambda user, key: signed_token(access_claims(user, key, exp=10**400)),
    "sub-of-nobody": lambda user, key: signed_token(access_claims(user, key, sub="999999999")),
}


@pytest.mark.parametrize("make", REJECTED.values(), ids=REJECTED.keys())
def test_bad_token_returns_401(api_client, api_key, user, make):
    response = bearer(api_client, api_key, make(user, api_key)).get(WHOAMI)

    assert_rejected(response)


def _anonymous(api_key) -> str:
    return jwt_codec.jwt_encode(
        jwt_codec.jwt_claims(
            sub="anon:0b1d",
            token_type="anonymous",
            client_id=api_key.client.client_id,
            lifetime=timedelta(minutes=10),
            scope="signup",
        )
    )


def test_anonymous_signup_token_returns_401_beyond_signup(api_client, api_key):
    response = bearer(api_client, api_key, _anonymous(api_key)).get("/api/v1/purchases/")

    assert_rejected(response)


def test_anonymous_signup_token_is_refused_not_passed_on(api_key):
    request = APIRequestFactory().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {_anonymous(api_key)}")

    with pytest.raises(InvalidToken):
        JWTAuthentication().authenticate(request)


def test_bad_token_without_app_key_still_returns_401(api_client, user, api_key):
    response = bearer(api_client, None, "garbage").get(WHOAMI)

    assert_rejected(response)


# --- the app binding ------------------------------------------------------------------------------------


def test_token_of_another_app_returns_401_client_mismatch(api_client, pair):
    other_app = make_api_client(name="Other app")

    response = bearer(api_client, other_app, pair.access).get(WHOAMI)

    assert_rejected(response, code="client_mismatch")


def test_token_without_app_identity_returns_401_client_required(api_client, pair):
    response = bearer(api_client, None, pair.access).get(WHOAMI)

    assert response.status_code == 401
    assert response.json()["code"] == "client_required"
    assert response["WWW-Authenticate"]
