"""Per-app throttling: exact limits, Retry-After, each app counted on its own."""

import pytest
import time_machine
from rest_framework import status

from clients.throttling import parse_rate
from tests.clients.factories import make_api_client

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/whoami"


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("5/second", (5, 1)), ("10/minute", (10, 60)), ("100/hour", (100, 3600)), ("7/day", (7, 86400))],
    ids=["second", "minute", "hour", "day"],
)
def test_parse_rate(rate, expected):
    assert parse_rate(rate) == expected


@time_machine.travel("2026-11-22 12:00:10", tick=False)
def test_request_over_the_apps_rate_returns_429_with_retry_after(api_client):
    creds = make_api_client(throttle_rate="3/minute")
    codes = [api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id)
    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert response["Retry-After"] == "50"
    assert response.json()["code"] == "throttled"


def test_window_passing_admits_requests_again(api_client):
    creds = make_api_client(throttle_rate="1/minute")
    with time_machine.travel("2026-11-22 12:00:00", tick=False):
        assert api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id).status_code == 200
        assert api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id).status_code == 429
    with time_machine.travel("2026-11-22 12:01:00", tick=False):
        assert api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id).status_code == 200


def test_each_app_has_its_own_budget(api_client):
    first, second = make_api_client(throttle_rate="1/hour"), make_api_client(throttle_rate="1/hour")
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=first.key_id).status_code == 200
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=first.key_id).status_code == 429
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=second.key_id).status_code == 200


def test_default_rate_applies_to_apps_without_their_own(api_client, api_key, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "client": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    codes = [api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_throttle_store_down_returns_503(api_client, api_key, cache_down):
    api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id)  # warm the key lookup
    cache_down()
    response = api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id)
    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["code"] == "rate_limit_store_unavailable"


def _session_rate(settings, rate: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "session": rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@time_machine.travel("2026-11-22 12:00:10", tick=False)
def test_browser_session_over_the_user_rate_returns_429_with_retry_after(api_client, user, settings):
    _session_rate(settings, "3/minute")
    api_client.force_login(user)
    codes = [api_client.get(WHOAMI).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api_client.get("/api/v1/purchases/")
    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert response["Retry-After"] == "50"
    assert response.json()["code"] == "throttled"


def test_each_browser_user_has_its_own_budget(api_client, user, other_user, settings):
    _session_rate(settings, "1/hour")
    api_client.force_login(user)
    assert api_client.get(WHOAMI).status_code == 200
    assert api_client.get(WHOAMI).status_code == 429
    api_client.force_login(other_user)
    assert api_client.get(WHOAMI).status_code == 200


def test_session_request_with_an_app_spends_the_apps_budget_not_the_users(api_client, user, settings):
    _session_rate(settings, "1/hour")
    creds = make_api_client(throttle_rate="3/hour")
    api_client.force_login(user)
    codes = [api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert api_client.get(WHOAMI).status_code == 200  # the user's own budget is untouched
