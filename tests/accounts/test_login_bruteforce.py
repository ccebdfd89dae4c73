"""Failed-login budgets per username and per client IP (accounts.services.login.credentials_check)."""

import base64
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import RequestFactory
from rest_framework import status

from accounts.exceptions import InvalidCredentials, TooManyLoginAttempts
from accounts.services.login import credentials_check
from audit.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.clients.factories import make_api_client
from tests.helpers import gunicorn_server

LOGIN = "/api/v1/auth/login"
WRONG = "not-the-password"
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def login(client, username: str, password: str = DEFAULT_PASSWORD, ip: str = "192.0.2.10"):
    return client.post(LOGIN, HTTP_AUTHORIZATION=basic(username, password), REMOTE_ADDR=ip)


def assert_limited(response) -> None:
    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert response.json()["code"] == "too_many_attempts"
    assert 1 <= int(response["Retry-After"]) <= 15 * 60


@pytest.fixture(autouse=True)
def _frozen_clock(request):
    """django-ratelimit's windows are fixed: freeze the clock so no test straddles a boundary."""
    if request.node.get_closest_marker("live"):
        yield None  # gunicorn workers run on the real clock (see that test's one-day window)
        return
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_fifth_failure_is_answered_and_sixth_attempt_refused(app_client, user):
    for _ in range(5):
        assert login(app_client, user.username, WRONG).status_code == status.HTTP_401_UNAUTHORIZED
    assert_limited(login(app_client, user.username, WRONG))


def test_right_password_is_refused_while_username_is_over_its_budget(app_client, user):
    for _ in range(5):
        login(app_client, user.username, WRONG)
    assert_limited(login(app_client, user.username))


def test_refused_attempt_does_not_run_the_hasher(app_client, user, monkeypatch):
    for _ in range(5):
        login(app_client, user.username, WRONG)
    calls = []
    monkeypatch.setattr(Argon2PasswordHasher, "verify", lambda *args: calls.append(args))
    monkeypatch.setattr(Argon2PasswordHasher, "encode", lambda *args: calls.append(args))
    assert_limited(login(app_client, user.username))
    assert calls == []


def test_username_budget_holds_across_ips_and_letter_case(app_client, user):
    for n in range(5):
        login(app_client, user.username.upper() if n % 2 else user.username, WRONG, ip=f"192.0.2.{n}")
    assert_limited(login(app_client, user.username, ip="198.51.100.1"))


def test_unknown_username_has_a_budget_too(app_client):
    for _ in range(5):
        assert login(app_client, "nobody-by-this-name", WRONG).status_code == status.HTTP_401_UNAUTHORIZED
    assert_limited(login(app_client, "nobody-by-this-name", WRONG))


def test_successful_logins_do_not_count(app_client, user):
    for _ in range(3):
        assert login(app_client, user.username).status_code == status.HTTP_201_CREATED
    for _ in range(4):
        login(app_client, user.username, WRONG)
    assert login(app_client, user.username).status_code == status.HTTP_201_CREATED
    assert login(app_client, user.username, WRONG).status_code == status.HTTP_401_UNAUTHORIZED  # the 5th failure
    assert_limited(login(app_client, user.username))


def test_ip_budget_refuses_every_username_from_that_ip(app_client, user, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_IP = "3/15m"
    for n in range(3):
        assert login(app_client, f"guess{n}", WRONG).status_code == status.HTTP_401_UNAUTHORIZED
    assert_limited(login(app_client, user.username))
    assert login(app_client, user.username, ip="198.51.100.1").status_code == status.HTTP_201_CREATED


def test_ipv6_budget_covers_the_whole_slash_64(app_client, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_IP = "3/15m"
    for n in range(3):
        login(app_client, f"guess{n}", WRONG, ip=f"2001:db8:0:1::{n + 1}")
    assert_limited(login(app_client, "guess9", WRONG, ip="2001:db8:0:1:ffff::9"))
    assert login(app_client, "guess9", WRONG, ip="2001:db8:0:2::1").status_code == status.HTTP_401_UNAUTHORIZED


def test_clients_behind_a_trusted_proxy_have_their_own_ip_budgets(app_client, user, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_IP = "3/15m"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(3):
        app_client.post(
            LOGIN,
            HTTP_AUTHORIZATION=basic(f"guess{n}", WRONG),
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    refused = app_client.post(
        LOGIN,
        HTTP_AUTHORIZATION=basic(user.username, DEFAULT_PASSWORD),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    other = app_client.post(
        LOGIN,
        HTTP_AUTHORIZATION=basic(user.username, DEFAULT_PASSWORD),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert_limited(refused)
    assert other.status_code == status.HTTP_201_CREATED


def test_spoofed_forwarded_for_does_not_buy_a_fresh_ip_budget(app_client, user, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_IP = "3/15m"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(3):
        app_client.post(
            LOGIN,
            HTTP_AUTHORIZATION=basic(f"guess{n}", WRONG),
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    assert_limited(
        app_client.post(
            LOGIN,
            HTTP_AUTHORIZATION=basic(user.username, DEFAULT_PASSWORD),
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR="198.51.100.99",
        )
    )


def test_budget_returns_when_the_window_passes(app_client, user, _frozen_clock):
    for _ in range(5):
        login(app_client, user.username, WRONG)
    retry_after = int(login(app_client, user.username)["Retry-After"])
    _frozen_clock.shift(timedelta(seconds=retry_after - 1))
    assert_limited(login(app_client, user.username))
    _frozen_clock.shift(timedelta(seconds=1))
    assert login(app_client, user.username).status_code == status.HTTP_201_CREATED


def test_limits_follow_settings_at_call_time(app_client, user, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_USERNAME = "2/1m"
    for _ in range(2):
        login(app_client, user.username, WRONG)
    response = login(app_client, user.username)
    assert_limited(response)
    assert int(response["Retry-After"]) <= 60


def test_rate_limited_attempts_are_audited_once_per_window(app_client, user):
    for _ in range(5):
        login(app_client, user.username, WRONG)
    for _ in range(3):
        login(app_client, user.username)
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.RATE_LIMITED)
    assert [(event.username, event.detail["limit"]) for event in events] == [(user.username, "login:username")]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_FAILED).count() == 5


def test_unreachable_limit_store_returns_503_without_hashing(app_client, user, monkeypatch, cache_down):
    calls = []
    monkeypatch.setattr(Argon2PasswordHasher, "verify", lambda *args: calls.append(args))
    cache_down()
    response = login(app_client, user.username)
    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["code"] == "rate_limit_store_unavailable"
    assert calls == []


def test_credentials_check_shares_the_budget_of_every_password_endpoint(app_client, user):
    # The JWT token endpoint calls credentials_check too: failures there and here add up.
    request = RequestFactory().post("/api/v1/auth/token", REMOTE_ADDR="192.0.2.10")
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            credentials_check(request=request, username=user.username, password=WRONG)
    for _ in range(2):
        login(app_client, user.username, WRONG)
    with pytest.raises(TooManyLoginAttempts):
        credentials_check(request=request, username=user.username, password=DEFAULT_PASSWORD)


@pytest.mark.live
@pytest.mark.usefixtures("transactional_db")
def test_failures_in_one_worker_use_up_the_budget_in_every_other():
    user = UserFactory()
    app = make_api_client()
    headers = {"X-Api-Key": app.key_id, "Authorization": basic(user.username, WRONG)}
    # A one-day window, so that the real clock is most unlikely to cross a boundary mid-test.
    env = {"LOGIN_FAILURE_LIMIT_PER_USERNAME": "5/1d"}
    with gunicorn_server(workers=1, env=env) as first, gunicorn_server(workers=3, env=env) as second:

        def attempt(url: str) -> int:
            return requests.post(f"{url}{LOGIN}", headers=headers, timeout=30).status_code

        failures = [attempt(first) for _ in range(5)]
        with ThreadPoolExecutor(max_workers=6) as pool:  # a new connection per request
            burst = list(pool.map(attempt, [second] * 12))
    assert failures == [401] * 5
    assert burst == [429] * 12


@pytest.mark.live
@pytest.mark.usefixtures("transactional_db")
def test_parallel_guesses_reach_the_hasher_at_most_budget_times():
    user = UserFactory()
    app = make_api_client()
    headers = {"X-Api-Key": app.key_id, "Authorization": basic(user.username, WRONG)}
    env = {"LOGIN_FAILURE_LIMIT_PER_USERNAME": "5/1d"}
    with gunicorn_server(workers=4, env=env) as url:
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(
                pool.map(lambda _: requests.post(f"{url}{LOGIN}", headers=headers, timeout=30).status_code, range(24))
            )
    # Counting before hashing: a burst cannot slip more guesses past a read-only check.
    assert statuses.count(401) == 5
    assert statuses.count(429) == 19


def test_login_without_a_peer_address_is_limited_not_a_500(app_client, user):
    for _ in range(5):
        assert login(app_client, user.username, WRONG, ip="").status_code == 401
    assert_limited(login(app_client, user.username, WRONG, ip=""))
