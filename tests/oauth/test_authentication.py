"""OAuth2Authentication: the API accepts the server's RFC 9068 access tokens, with no database query,
takes the app from their client_id, and enforces the purchases scopes."""

import datetime
import hashlib
import hmac
import json

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.models import User
from oauth.models import OAuthApplication
from oauth.signing_key import signing_key
from purchases.models import Purchase
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.oauth.helpers import make_application, mint_access_token

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/whoami"
PURCHASES = "/api/v1/purchases/"


@pytest.fixture
def app() -> OAuthApplication:
    return make_application()


def bearer(api_client, token: str, **headers):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", **headers)
    return api_client


def assert_invalid_token(response) -> None:
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert "Bearer" in response["WWW-Authenticate"]


# --- Success, and what it costs ------------------------------------------------------------------


def test_token_authenticates_user_and_app_without_an_api_key(api_client, app, user):
    response = bearer(api_client, mint_access_token(app, user)).get(WHOAMI)

    assert response.status_code == 200
    assert response.json() == {"user": user.username, "client": app.client_id, "schemes": ["oauth2"]}


def test_token_is_checked_without_a_query_once_the_user_is_copied(api_client, app, user, django_assert_num_queries):
    client = bearer(api_client, mint_access_token(app, user))
    client.get(WHOAMI)  # warm: key loaded, thumbprint computed, this worker's copy of the user made

    # The copy's tags are read at every request: deactivation and deletion still stop it at once.
    with django_assert_num_queries(0):
        assert client.get(WHOAMI).status_code == 200


def test_client_credentials_token_is_checked_without_a_database_query(api_client, django_assert_num_queries):
    app = make_application(
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL, grant=OAuthApplication.GRANT_CLIENT_CREDENTIALS
    )
    client = bearer(api_client, mint_access_token(app))
    client.get(WHOAMI)

    with django_assert_num_queries(0):
        assert client.get(WHOAMI).status_code == 200


def test_token_with_the_same_apps_key_is_accepted(api_client, user):
    from tests.clients.factories import make_api_client

    credentials = make_api_client()
    app = make_application(client_id=credentials.client.client_id)  # one app in both registries

    response = bearer(api_client, mint_access_token(app, user), HTTP_X_API_KEY=credentials.key_id).get(WHOAMI)

    assert response.status_code == 200
    assert response.json()["schemes"] == ["key", "oauth2"]


def test_token_with_another_apps_key_is_client_mismatch(api_client, app, user, api_key):
    response = bearer(api_client, mint_access_token(app, user), HTTP_X_API_KEY=api_key.key_id).get(WHOAMI)

    assert response.status_code == 401
    assert response.json()["code"] == "client_mismatch"


def test_client_credentials_token_identifies_the_app_but_no_user(api_client, app):
    client = bearer(api_client, mint_access_token(app, None, scope="purchases:read"))

    assert client.get(WHOAMI).json() == {"user": None, "client": app.client_id, "schemes": ["oauth2"]}
    response = client.get(PURCHASES)
    assert response.status_code == 401  # an app without a user
    assert response.json()["code"] == "not_authenticated"


# --- Scopes on purchases -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "method", "status"),
    [
        ("purchases:read", "get", 200),
        ("purchases:write", "get", 403),
        ("openid profile", "get", 403),
        ("purchases:read", "post", 403),
        ("purchases:write", "post", 201),
    ],
    ids=["read-with-read", "read-with-write-only", "read-with-none", "write-with-read-only", "write-with-write"],
)
def test_purchases_need_the_matching_scope(api_client, app, user, scope, method, status):
    client = bearer(api_client, mint_access_token(app, user, scope=scope))

    body = {"item": "Book", "quantity": 1, "unit_price": "9.50"}
    response = client.get(PURCHASES) if method == "get" else client.post(PURCHASES, body, format="json")

    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "insufficient_scope"
    if status == 201:
        assert Purchase.objects.get().owner_id == user.pk


def test_token_for_another_user_cannot_touch_my_purchase(api_client, app, user, other_user):
    purchase = Purchase.objects.create(owner=user, item="Book", quantity=1, unit_price="9.50")

    response = bearer(api_client, mint_access_token(app, other_user)).get(f"{PURCHASES}{purchase.pk}/")

    assert response.status_code == 403


def test_scopes_do_not_apply_to_other_schemes(user_client):
    assert user_client.get(PURCHASES).status_code == 200


# --- Refusals: every failure reads the same 401 ---------------------------------------------------


def other_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_no_header_is_not_ours(api_client):
    response = api_client.get(WHOAMI)

    assert response.status_code == 401
    assert response.json()["code"] != "invalid_token"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer   "], ids=["empty", "two-values", "blank"])
def test_malformed_bearer_header_is_refused(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)

    assert api_client.get(WHOAMI).status_code == 401


def test_random_bearer_value_is_refused(api_client):
    assert_invalid_token(bearer(api_client, "not-a-jwt").get(WHOAMI))


def test_token_signed_by_another_key_is_refused(api_client, app, user):
    token = mint_access_token(app, user)
    forged = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        other_rsa_key(),
        algorithm="RS256",
        headers=jwt.get_unverified_header(token),
    )

    assert_invalid_token(bearer(api_client, forged).get(WHOAMI))


def test_token_with_unknown_kid_is_refused(api_client, app, user):
    assert_invalid_token(bearer(api_client, mint_access_token(app, user, header={"kid": "unknown"})).get(WHOAMI))


def segment(data: dict) -> str:
    return jwt.utils.base64url_encode(json.dumps(data).encode()).decode()


def test_tampered_token_is_refused(api_client, app, user):
    header, _, signature = mint_access_token(app, user, scope="purchases:read").split(".")
    claims = jwt.decode(mint_access_token(app, user, scope="purchases:write"), options={"verify_signature": False})

    assert_invalid_token(bearer(api_client, f"{header}.{segment(claims)}.{signature}").get(WHOAMI))


def test_alg_none_is_refused(api_client, app, user):
    claims = jwt.decode(mint_access_token(app, user), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"typ": "at+jwt", "kid": "x"})

    assert_invalid_token(bearer(api_client, unsigned).get(WHOAMI))


def test_hmac_signed_with_the_public_key_is_refused(api_client, app, user):
    # Algorithm confusion: "verify" an HS256 token with the RSA public key as the HMAC secret.
    token = mint_access_token(app, user)
    public_pem = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = segment({**jwt.get_unverified_header(token), "alg": "HS256"})
    payload = segment(jwt.decode(token, options={"verify_signature": False}))
    mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()

    forged = f"{header}.{payload}.{jwt.utils.base64url_encode(mac).decode()}"

    assert_invalid_token(bearer(api_client, forged).get(WHOAMI))


def test_id_token_is_not_an_access_token(api_client, app, user):
    # Same key, same kid, but typed JWT: RFC 9068 §4 says refuse it.
    id_token = mint_access_token(app, user, header={"typ": "JWT"})

    assert bearer(api_client, id_token).get(WHOAMI).status_code == 401


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example/o"},
        {"aud": "another-api"},
        {"aud": ["apiproject-api", "another-api"]},
        {"sub": "not-a-number"},
        {"jti": 123},
    ],
    ids=["issuer", "audience", "audience-list", "bad-sub", "jti-not-a-string"],
)
def test_token_with_wrong_claims_is_refused(api_client, app, user, claims):
    assert_invalid_token(bearer(api_client, mint_access_token(app, user, **claims)).get(WHOAMI))


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "client_id", "scope", "exp", "iat", "jti"])
def test_token_without_a_required_claim_is_refused(api_client, app, user, claim):
    assert_invalid_token(bearer(api_client, mint_access_token(app, user, drop=(claim,))).get(WHOAMI))


def test_expired_token_is_refused(api_client, app, user):
    token = mint_access_token(app, user)

    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=320)):
        assert_invalid_token(bearer(api_client, token).get(WHOAMI))


def test_revoked_token_stays_valid_here_until_it_expires(api_client, app, user):
    """The trade of a stateless token (docs/oauth2.md): revocation reaches introspection, not this check."""
    token = mint_access_token(app, user)  # never stored: as good as revoked

    assert bearer(api_client, token).get(WHOAMI).status_code == 200


def test_inactive_user_token_returns_401(api_client, app, user):
    token = mint_access_token(app, user)
    User.objects.filter(pk=user.pk).update(is_active=False)  # even a write that sends no signal

    assert_invalid_token(bearer(api_client, token).get(WHOAMI))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/whoami", None),
        ("get", "/api/v1/purchases/", None),
        ("post", "/api/v1/purchases/", {"item": "Book", "quantity": 1, "unit_price": "1.00"}),
        ("get", "/api/v1/clients/{client_id}/usage", None),
    ],
    ids=["whoami", "purchases-list", "purchase-create", "usage"],
)
def test_deleted_user_token_returns_401_not_500(api_client, app, user, method, path, body):
    User.objects.filter(pk=user.pk).update(is_staff=True)  # usage is staff-only
    client = bearer(api_client, mint_access_token(app, user))
    user.delete()

    assert_invalid_token(getattr(client, method)(path.format(client_id=app.client_id), body, format="json"))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/auth/sessions"),
        ("delete", "/api/v1/auth/sessions/00000000-0000-0000-0000-000000000000"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/logout-all"),
    ],
    ids=["list-sessions", "revoke-session", "logout", "logout-all"],
)
def test_delegated_token_of_any_scope_cannot_manage_sessions(api_client, app, user, method, path):
    token = mint_access_token(app, user, scope="purchases:read purchases:write openid profile")
    response = getattr(bearer(api_client, token), method)(path)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


def test_delegated_token_of_staff_cannot_read_usage(api_client, app, staff_user):
    response = bearer(api_client, mint_access_token(app, staff_user, scope="profile")).get(
        f"/api/v1/clients/{app.client_id}/usage"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/token"], ids=["login", "jwt"])
def test_delegated_token_cannot_stand_in_for_the_apps_key_when_minting_credentials(api_client, app, user, path):
    response = bearer(api_client, mint_access_token(app)).post(
        path, {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "client_required"
