"""`Authorization: Key` and `X-Api-Key`: the app identifies itself; every failure reads the same."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework import status

from clients import selectors
from clients.crypto import generate_key_id
from clients.models import ApiKey
from clients.selectors import key_cache_clear
from clients.services import api_key_revoke
from tests.clients.factories import make_api_client

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/whoami"


def _assert_401(response, code: str) -> None:
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == code
    assert 'Key realm="api"' in response["WWW-Authenticate"]


def test_authorization_key_identifies_the_app(api_client, api_key):
    response = api_client.get(WHOAMI, HTTP_AUTHORIZATION=f"Key {api_key.key_id}")
    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"user": None, "client": api_key.client.client_id, "schemes": ["key"]}


def test_x_api_key_identifies_the_app(api_client, api_key):
    response = api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id)
    assert response.status_code == status.HTTP_200_OK
    assert response.json()["client"] == api_key.client.client_id


def test_keyword_is_case_insensitive(api_client, api_key):
    response = api_client.get(WHOAMI, HTTP_AUTHORIZATION=f"key {api_key.key_id}")
    assert response.status_code == status.HTTP_200_OK


def test_no_header_returns_401_client_required(api_client):
    _assert_401(api_client.get(WHOAMI), "client_required")


def test_another_scheme_is_left_to_other_authenticators(api_client):
    _assert_401(api_client.get(WHOAMI, HTTP_AUTHORIZATION="Digest abc"), "client_required")


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_AUTHORIZATION": "Key"},
        {"HTTP_AUTHORIZATION": "Key a b"},
        {"HTTP_X_API_KEY": ""},
        {"HTTP_X_API_KEY": "a b"},
        {"HTTP_X_API_KEY": "k" * 129},
        {"HTTP_AUTHORIZATION": "Key " + "k" * 129},
        {"HTTP_X_API_KEY": "clé-ünïcode"},
    ],
    ids=["empty-key", "two-values", "empty-header", "space", "too-long-header", "too-long-key", "non-ascii"],
)
def test_malformed_key_returns_401_malformed_credentials(api_client, headers):
    _assert_401(api_client.get(WHOAMI, **headers), "malformed_credentials")


def test_unknown_key_returns_401_invalid_api_key(api_client, api_key):
    _assert_401(api_client.get(WHOAMI, HTTP_X_API_KEY=generate_key_id()), "invalid_api_key")


def test_revoked_key_returns_401_invalid_api_key(api_client, api_key):
    api_key_revoke(key=api_key.key)
    _assert_401(api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id), "invalid_api_key")


def test_expired_key_returns_401_invalid_api_key(api_client, api_key):
    ApiKey.objects.filter(pk=api_key.key.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        _assert_401(api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id), "invalid_api_key")


def test_inactive_app_returns_401_invalid_api_key(api_client, api_key):
    api_key.client.is_active = False
    api_key.client.save()
    _assert_401(api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id), "invalid_api_key")


def test_unknown_revoked_and_expired_keys_read_the_same(api_client, api_key):
    unknown = api_client.get(WHOAMI, HTTP_X_API_KEY="x" * 32).json()
    api_key_revoke(key=api_key.key)
    revoked = api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).json()
    assert unknown == revoked


def test_key_of_app_requiring_signatures_returns_401_signature_required(api_client):
    creds = make_api_client(require_signature=True)
    _assert_401(api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id), "signature_required")


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("ShopApp/2.3 (iOS 18)", 200),
        ("ShopApp/10.0 (Android)", 200),
        ("curl/8.5.0", 403),
        ("", 403),
        ("xShopApp/2.3 (iOS)", 403),
        ("ShopApp/" + "9" * 600, 403),
    ],
    ids=["ios", "android", "curl", "empty", "prefix-not-anchored", "absurdly-long"],
)
def test_user_agent_rules_admit_only_matching_agents(api_client, agent, expected):
    creds = make_api_client(allowed_user_agents=[r"ShopApp/\d+(\.\d+)* \((iOS|Android)[^)]*\)", r"ShopApp/9+"])
    response = api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id, HTTP_USER_AGENT=agent)
    assert response.status_code == expected
    if expected == 403:
        assert response.json()["code"] == "user_agent_rejected"


def test_app_without_user_agent_rules_admits_any_agent(api_client, api_key):
    response = api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="curl/8.5.0")
    assert response.status_code == status.HTTP_200_OK


def test_rotated_old_and_new_keys_both_work_until_old_is_revoked(api_client, api_key):
    from clients.services import api_key_rotate

    _, new_key_id, _ = api_key_rotate(client=api_key.client)
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).status_code == 200
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=new_key_id).status_code == 200
    api_key_revoke(key=api_key.key)
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).status_code == 401
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=new_key_id).status_code == 200


def test_revoking_one_apps_key_leaves_other_apps_working(api_client, api_key):
    other = make_api_client(name="Other app")
    api_key_revoke(key=api_key.key)
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=other.key_id).status_code == 200


def test_cached_lookup_sees_revocation_after_cache_seconds(api_client, api_key, settings, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(selectors, "_clock", lambda: now[0])
    key_cache_clear()
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).status_code == 200
    # Revoked by another process: this process's cache is not told.
    ApiKey.objects.filter(pk=api_key.key.pk).update(revoked_at=timezone.now())
    now[0] += settings.API_KEY_CACHE_SECONDS - 0.5
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).status_code == 200
    now[0] += 0.6
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).status_code == 401


def test_warm_key_lookup_makes_no_database_query(api_client, api_key, django_assert_num_queries):
    api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id)
    with django_assert_num_queries(0):
        assert api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).status_code == 200


def test_unknown_key_is_looked_up_once_per_cache_period(api_client, db, django_assert_num_queries):
    key_cache_clear()
    with django_assert_num_queries(1):
        for _ in range(5):
            api_client.get(WHOAMI, HTTP_X_API_KEY="u" * 32)
