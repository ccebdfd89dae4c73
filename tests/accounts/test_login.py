"""POST /api/v1/auth/login: a username and password for a new session token."""

import base64
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import status

from accounts.crypto import token_digest
from accounts.models import LoginSession
from audit.crypto import audit_username_digest
from audit.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

LOGIN = "/api/v1/auth/login"
WHOAMI = "/api/v1/whoami"


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def login(client, username: str, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(LOGIN, HTTP_AUTHORIZATION=basic(username, password), **extra)


@pytest.fixture
def hasher_calls(monkeypatch) -> list[str]:
    """Records every run of the Argon2 hasher (hashing a new password or verifying one)."""
    calls: list[str] = []
    encode, verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def counting_encode(self, password, salt):
        calls.append("encode")
        return encode(self, password, salt)

    def counting_verify(self, password, encoded):
        calls.append("verify")
        return verify(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", counting_encode)
    monkeypatch.setattr(Argon2PasswordHasher, "verify", counting_verify)
    return calls


def test_basic_credentials_return_201_with_token_session_and_expiry(app_client, user):
    before = timezone.now()
    response = login(app_client, user.username)
    assert response.status_code == status.HTTP_201_CREATED
    body = response.json()
    assert set(body) == {"token", "session_id", "expires_at"}
    assert response["Cache-Control"] == "no-store"
    session = LoginSession.objects.get(pk=body["session_id"])
    assert session.user == user
    assert parse_datetime(body["expires_at"]) == session.expires_at
    assert before + timedelta(days=7) <= session.expires_at <= timezone.now() + timedelta(days=7)


def test_json_credentials_return_201(app_client, user):
    response = app_client.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == status.HTTP_201_CREATED
    assert LoginSession.objects.filter(pk=response.json()["session_id"], user=user).exists()


def test_login_answers_with_and_without_trailing_slash(app_client, user):
    assert app_client.post(LOGIN + "/", HTTP_AUTHORIZATION=basic(user.username, DEFAULT_PASSWORD)).status_code == 201


def test_returned_token_authenticates_the_user(app_client, api_key, user):
    token = login(app_client, user.username).json()["token"]
    response = app_client.get(WHOAMI, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == status.HTTP_200_OK
    assert response.json()["user"] == user.username


def test_each_login_returns_a_distinct_token_and_session(app_client, user):
    results = [login(app_client, user.username).json() for _ in range(3)]
    assert len({result["token"] for result in results}) == 3
    assert len({result["session_id"] for result in results}) == 3
    assert LoginSession.objects.filter(user=user).count() == 3


def test_token_has_256_bits_and_database_keeps_only_its_digest(app_client, user):
    token = login(app_client, user.username).json()["token"]
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    session = LoginSession.objects.get(user=user)
    assert session.token_digest == token_digest(token)
    stored = [str(value) for value in LoginSession.objects.values_list().get()]
    assert not any(token in value for value in stored)


def test_session_keeps_user_agent_ip_and_app(app_client, api_key, user):
    login(app_client, user.username, HTTP_USER_AGENT="ExampleApp/2.1 (iOS 18)", REMOTE_ADDR="203.0.113.9")
    session = LoginSession.objects.get(user=user)
    assert (session.user_agent, session.ip, session.client_id) == (
        "ExampleApp/2.1 (iOS 18)",
        "203.0.113.9",
        api_key.client.client_id,
    )


def test_login_expiry_follows_setting(app_client, user, settings):
    settings.LOGIN_SESSION_MAX_AGE = timedelta(hours=1)
    response = login(app_client, user.username)
    session = LoginSession.objects.get(pk=response.json()["session_id"])
    assert session.expires_at == session.created_at + timedelta(hours=1)


def test_login_without_app_identity_returns_401_client_required_without_hashing(api_client, user, hasher_calls):
    response = login(api_client, user.username)
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "client_required"
    assert response["WWW-Authenticate"].startswith('Basic realm="api", charset="UTF-8"')
    assert hasher_calls == []


def test_wrong_password_returns_401_invalid_credentials(app_client, user):
    response = login(app_client, user.username, "not-the-password")
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json() == {"detail": "Invalid username or password.", "code": "invalid_credentials"}
    assert response["WWW-Authenticate"].startswith('Basic realm="api"')
    assert not LoginSession.objects.exists()


def test_unknown_user_reads_exactly_like_wrong_password(app_client, user):
    wrong = login(app_client, user.username, "not-the-password")
    unknown = login(app_client, "nobody-by-this-name", "not-the-password")
    assert unknown.status_code == wrong.status_code == status.HTTP_401_UNAUTHORIZED
    assert unknown.json() == wrong.json()
    assert unknown["WWW-Authenticate"] == wrong["WWW-Authenticate"]


def test_inactive_user_reads_exactly_like_wrong_password(app_client):
    inactive = UserFactory(is_active=False)
    response = login(app_client, inactive.username)
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_credentials"
    assert not LoginSession.objects.exists()


@pytest.mark.parametrize("known", [True, False], ids=["wrong-password", "unknown-user"])
def test_failed_login_runs_the_password_hasher_once(app_client, user, hasher_calls, known):
    login(app_client, user.username if known else "nobody-by-this-name", "not-the-password")
    assert len(hasher_calls) == 1


def test_passwords_are_stored_with_argon2(user):
    assert user.password.startswith("argon2$argon2id$")


def test_successful_login_updates_last_login_and_is_audited(app_client, user):
    login(app_client, user.username)
    user.refresh_from_db()
    assert user.last_login is not None
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_SUCCEEDED, user=user).count() == 1


def test_failed_login_of_unknown_name_is_audited_by_digest_only(app_client, api_key):
    login(app_client, "mallory", "guess", REMOTE_ADDR="198.51.100.7")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOGIN_FAILED)
    assert (event.username, event.client_id, event.ip, event.user) == (
        "unknown:" + audit_username_digest("mallory", secret=settings.SECRET_KEY),
        api_key.client.client_id,
        "198.51.100.7",
        None,
    )


# --- Bad input: a code, never a 500, never a hash of something absurd ----------------------------


def raw_basic(value: bytes) -> str:
    return "Basic " + base64.b64encode(value).decode()


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic one two",
        "Basic not*base64!",
        raw_basic(b"no-colon-here"),
        raw_basic(b"caf\xe9:latin-1-is-not-utf-8"),
        raw_basic(b"\xff\xfe:\x00"),
    ],
    ids=["no-value", "two-values", "not-base64", "no-colon", "latin-1", "binary"],
)
def test_malformed_basic_header_returns_401_malformed_without_hashing(app_client, user, hasher_calls, header):
    response = app_client.post(LOGIN, HTTP_AUTHORIZATION=header)
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "malformed_credentials"
    assert response["WWW-Authenticate"].startswith('Basic realm="api"')
    assert hasher_calls == []


@pytest.mark.parametrize(
    ("username", "password"),
    [("", DEFAULT_PASSWORD), ("u" * 151, DEFAULT_PASSWORD), ("nul\x00name", DEFAULT_PASSWORD), ("x", "p" * 10_240)],
    ids=["empty-username", "long-username", "nul-in-username", "10KB-password"],
)
def test_absurd_basic_credentials_return_401_without_hashing(app_client, user, hasher_calls, username, password):
    response = login(app_client, username, password)
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_credentials"
    assert hasher_calls == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "username"),
        ({"username": "", "password": "x"}, "username"),
        ({"username": "someone"}, "password"),
        ({"username": "someone", "password": "p" * 10_240}, "password"),
        ({"username": ["a"], "password": {"b": 1}}, "username"),
        ({"username": "nul\x00name", "password": "x"}, "username"),
    ],
    ids=["empty", "blank-username", "no-password", "10KB-password", "wrong-types", "nul-in-username"],
)
def test_invalid_json_credentials_return_400_without_hashing(app_client, hasher_calls, body, field):
    response = app_client.post(LOGIN, body, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert field in response.json()
    assert hasher_calls == []


def test_basic_header_takes_precedence_over_body(app_client, user):
    response = app_client.post(
        LOGIN,
        {"username": "someone-else", "password": "x"},
        format="json",
        HTTP_AUTHORIZATION=basic(user.username, DEFAULT_PASSWORD),
    )
    assert response.status_code == status.HTTP_201_CREATED
    assert LoginSession.objects.get().user == user


def test_username_in_another_unicode_form_finds_the_account(app_client):
    UserFactory(username="jos\u00e9")  # as Django's forms save it: NFKC-normalised
    # Full-width letters and a decomposed "é" (e + combining acute accent) are NFKC-equivalent.
    assert login(app_client, "\uff4a\uff4f\uff53e\u0301").status_code == status.HTTP_201_CREATED
