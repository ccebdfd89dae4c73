"""`Authorization: Token <token>`: the login session scheme (accounts.authentication)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import status

from accounts.models import LoginSession
from accounts.services.login import login_session_create
from tests.clients.factories import make_api_client

SESSIONS = "/api/v1/auth/sessions"  # needs a user, so a missing credential is a 401
WHOAMI = "/api/v1/whoami"
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def login(user, api_key) -> tuple[LoginSession, str]:
    """A live session of `user`, signed in through the `api_key` app: (session, token)."""
    return login_session_create(user=user, client_id=api_key.client.client_id)


def get(api_client, api_key, path: str = SESSIONS, **headers):
    return api_client.get(path, HTTP_X_API_KEY=api_key.key_id, **headers)


def assert_refused(response, code: str) -> None:
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == code
    assert 'Token realm="api"' in response["WWW-Authenticate"]


def test_no_authorization_header_returns_401_with_token_challenge(api_client, api_key):
    assert_refused(get(api_client, api_key), "not_authenticated")


def test_another_scheme_is_left_to_other_authenticators(api_client, api_key):
    assert_refused(get(api_client, api_key, HTTP_AUTHORIZATION="Digest username=alice"), "not_authenticated")


@pytest.mark.parametrize("value", ["Token", "Token ", "token  "], ids=["bare", "trailing-space", "lowercase"])
def test_empty_token_returns_401_malformed(api_client, api_key, value):
    assert_refused(get(api_client, api_key, HTTP_AUTHORIZATION=value), "malformed_credentials")


@pytest.mark.parametrize(
    "value",
    ["Token one two", "Token " + "a" * 129, "Token caf\u00e9"],
    ids=["two-values", "too-long", "not-ascii"],
)
def test_malformed_token_returns_401_malformed(api_client, api_key, value):
    assert_refused(get(api_client, api_key, HTTP_AUTHORIZATION=value), "malformed_credentials")


def test_unknown_token_returns_401_invalid_token(api_client, api_key, login):
    assert_refused(get(api_client, api_key, HTTP_AUTHORIZATION="Token " + "A" * 43), "invalid_token")


def test_revoked_token_returns_401_invalid_token(api_client, api_key, login):
    session, token = login
    LoginSession.objects.filter(pk=session.pk).update(revoked_at=NOW)
    assert_refused(get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {token}"), "invalid_token")


def test_token_past_absolute_expiry_returns_401_invalid_token(api_client, api_key, user, settings):
    settings.LOGIN_SESSION_MAX_AGE = timedelta(hours=8)
    settings.LOGIN_SESSION_IDLE_TIMEOUT = timedelta(hours=1)
    with time_machine.travel(NOW, tick=False) as traveller:
        _, token = login_session_create(user=user, client_id=api_key.client.client_id)
        for _ in range(8):  # used every hour less a minute: never idle, yet it expires at 8 hours
            traveller.shift(timedelta(minutes=59))
            assert get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {token}").status_code == status.HTTP_200_OK
        traveller.shift(timedelta(minutes=9))
        assert_refused(get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {token}"), "invalid_token")


def test_token_unused_past_idle_timeout_returns_401_invalid_token(api_client, api_key, user, settings):
    settings.LOGIN_SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    with time_machine.travel(NOW, tick=False) as traveller:
        _, token = login_session_create(user=user, client_id=api_key.client.client_id)
        traveller.shift(timedelta(minutes=30, seconds=1))
        assert_refused(get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {token}"), "invalid_token")


def test_token_used_just_inside_idle_timeout_is_accepted(api_client, api_key, user, settings):
    settings.LOGIN_SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    with time_machine.travel(NOW, tick=False) as traveller:
        _, token = login_session_create(user=user, client_id=api_key.client.client_id)
        traveller.shift(timedelta(minutes=29, seconds=59))
        assert get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {token}").status_code == status.HTTP_200_OK


def test_inactive_user_token_returns_401_invalid_token(api_client, api_key, user, login):
    _, token = login
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_refused(get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {token}"), "invalid_token")


def test_refused_tokens_all_read_the_same(api_client, api_key, user, login, other_user):
    session, token = login
    _, inactive_token = login_session_create(user=other_user, client_id=api_key.client.client_id)
    other_user.is_active = False
    other_user.save(update_fields=["is_active"])
    unknown = get(api_client, api_key, HTTP_AUTHORIZATION="Token " + "A" * 43)
    inactive = get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {inactive_token}")
    LoginSession.objects.filter(pk=session.pk).update(revoked_at=NOW)
    revoked = get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {token}")
    assert unknown.json() == inactive.json() == revoked.json()
    assert unknown["WWW-Authenticate"] == inactive["WWW-Authenticate"] == revoked["WWW-Authenticate"]


def test_valid_token_authenticates_user_alongside_app(api_client, api_key, user, login):
    _, token = login
    response = get(api_client, api_key, WHOAMI, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"user": user.username, "client": api_key.client.client_id, "schemes": ["key", "token"]}


def test_token_without_app_identity_returns_401_client_required(api_client, login):
    _, token = login
    response = api_client.get(SESSIONS, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "client_required"
    assert response["WWW-Authenticate"]


def test_token_presented_with_another_apps_key_returns_401_client_mismatch(api_client, login):
    _, token = login
    other_app = make_api_client("Other app")
    response = api_client.get(SESSIONS, HTTP_X_API_KEY=other_app.key_id, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "client_mismatch"
    assert 'Token realm="api"' in response["WWW-Authenticate"]


def test_warm_request_costs_one_database_query(api_client, api_key, login):
    _, token = login
    get(api_client, api_key, WHOAMI, HTTP_AUTHORIZATION=f"Token {token}")  # warms the app-key cache
    with CaptureQueriesContext(connection) as queries:
        response = get(api_client, api_key, WHOAMI, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == status.HTTP_200_OK
    assert len(queries) == 1
    assert "token_digest" in queries[0]["sql"]


def test_last_used_at_is_written_at_most_once_per_interval(api_client, api_key, user, settings):
    settings.LOGIN_SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
    with time_machine.travel(NOW, tick=False) as traveller:
        session, token = login_session_create(user=user, client_id=api_key.client.client_id)
        traveller.shift(timedelta(seconds=59))
        get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {token}")
        session.refresh_from_db()
        assert session.last_used_at == NOW
        traveller.shift(timedelta(seconds=1))
        get(api_client, api_key, HTTP_AUTHORIZATION=f"Token {token}")
        session.refresh_from_db()
        assert session.last_used_at == NOW + timedelta(seconds=60)
