"""Fixtures shared by every test: API clients, users, apps and keys, service markers."""

import os

import pytest
from django.core.cache import caches
from django.db import connection
from django_redis.cache import RedisCache
from rest_framework.test import APIClient

from accounts.services.login import login_session_create
from accounts.user_cache import user_cache_clear
from apiproject.generations import generations_forget
from apiproject.jwt_verification import verified_cache_clear
from apiproject.replay import replay_epoch_forget
from clients.selectors import key_cache_clear
from clients.usage import usage_discard
from deploy.stack import nginx_check
from tests.accounts.factories import UserFactory
from tests.browser.helpers import chromium_missing
from tests.clients.factories import ApiCredentials, make_api_client
from transport.selectors import transport_cache_clear

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _service_missing(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL"
    if marker == "redis" and not isinstance(caches["default"], RedisCache):
        return "needs Redis: set REDIS_URL"
    if marker == "nginx" and (problems := nginx_check()):
        return "needs nginx: " + "; ".join(problems)
    if marker == "browser":
        return chromium_missing()
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip tests whose services are absent; under REQUIRE_SERVICES=1 fail them instead."""
    needs = {name for name in ("postgres", "redis", "nginx", "browser") if item.get_closest_marker(name)}
    if item.get_closest_marker("live"):
        needs |= {"postgres", "redis"}
    for name in sorted(needs):
        reason = _service_missing(name)
        if reason and REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}")
        if reason:
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_caches():
    """Every test starts with empty caches, key lookups, verified-JWT memory, user copies and usage counters."""
    caches["default"].clear()
    replay_epoch_forget()  # a flush is a lost memory, but these tests start from nothing
    key_cache_clear()
    transport_cache_clear()
    verified_cache_clear()
    user_cache_clear()
    generations_forget()
    usage_discard()
    yield
    key_cache_clear()
    verified_cache_clear()
    user_cache_clear()
    generations_forget()
    usage_discard()


@pytest.fixture
def cache_down(settings):
    """Return a function that points the shared cache at a Redis nobody listens on (port 1)."""

    def down() -> None:
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
            },
        }

    return down


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def api_key(db) -> ApiCredentials:
    """An app with one live key: (client, key, key_id, secret)."""
    return make_api_client()


@pytest.fixture
def app_client(api_client: APIClient, api_key: ApiCredentials) -> APIClient:
    """An API client that identifies the app with X-Api-Key on every request."""
    api_client.credentials(HTTP_X_API_KEY=api_key.key_id)
    return api_client


@pytest.fixture
def user_client(app_client: APIClient, api_key: ApiCredentials, user) -> APIClient:
    """An app-identified client signed in as `user` with a login session token (X-Api-Key + Token)."""
    _, token = login_session_create(user=user, client_id=api_key.client.client_id)
    app_client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Token {token}")
    return app_client
