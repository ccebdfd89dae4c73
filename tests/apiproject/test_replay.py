"""The replay store (apiproject.replay): values taken once, across a Redis restart; no evicting Redis."""

import contextlib
import os
import subprocess
import sys
import time

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

from apiproject.counters import fixed_window
from apiproject.replay import (
    Claim,
    ReplayStoreUnavailable,
    claim_key,
    nonce_claim,
    nonce_claim_and_count,
    replay_epoch_forget,
)
from apiproject.startup import redis_eviction_problem, replay_store_check
from tests.helpers import ROOT, gunicorn_server, redis_server
from tests.signatures.helpers import send, sign

WHOAMI = "http://testserver/api/v1/whoami"


@pytest.fixture
def private_redis(settings):
    """The shared cache on a redis-server of this test's own, which the test may restart."""
    with redis_server() as server:
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": server.url,
                "OPTIONS": {"IGNORE_EXCEPTIONS": False, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
            },
        }
        replay_epoch_forget()  # a store that has never held anything has forgotten nothing
        yield server


def _send_past_reconnect(api_client, headers: dict[str, str]):
    # The first command after a restart may meet a connection the old server closed: a 503,
    # which is the right answer while Redis is away. The next attempt reconnects.
    for _ in range(3):
        response = send(api_client, "GET", WHOAMI, headers)
        if response.status_code != 503:
            return response
    return response


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_signed_request_replayed_after_a_redis_restart_is_refused(api_client, api_key, private_redis):
    headers = sign("GET", WHOAMI, key_id=api_key.key_id, secret=api_key.secret)
    assert send(api_client, "GET", WHOAMI, headers).status_code == 200
    assert send(api_client, "GET", WHOAMI, headers).json()["code"] == "nonce_reused"

    # The store compares in whole seconds: a request signed in the second its memory began is
    # accepted. The restart comes in a later second than the original, as any real one would.
    time.sleep(1.0)
    private_redis.restart()  # every nonce of the window is forgotten
    replay = _send_past_reconnect(api_client, headers)

    assert replay.status_code == 401
    assert replay.json()["code"] == "nonce_reused"
    # A client signing right after the restart is not refused (`created` is the same second).
    fresh = sign("GET", WHOAMI, key_id=api_key.key_id, secret=api_key.secret)
    assert send(api_client, "GET", WHOAMI, fresh).status_code == 200


def test_nonce_claim_takes_a_value_once():
    now = time.time()
    assert nonce_claim(claim_key("dpop-jti", "a"), ttl=60, issued_at=now) is Claim.NEW
    assert nonce_claim(claim_key("dpop-jti", "a"), ttl=60, issued_at=now) is Claim.REUSED
    assert nonce_claim(claim_key("attestation-jti", "a"), ttl=60, issued_at=now) is Claim.NEW


def test_nonce_claim_after_a_restart_refuses_values_issued_before_it(private_redis):
    assert nonce_claim(claim_key("dpop-jti", "a"), ttl=60, issued_at=time.time()) is Claim.NEW
    issued_before_restart = int(time.time())  # `created` and `iat` are whole seconds
    time.sleep(1.0)
    private_redis.restart()
    with contextlib.suppress(ReplayStoreUnavailable):  # a connection the old server closed
        nonce_claim(claim_key("dpop-jti", "b"), ttl=60, issued_at=issued_before_restart)

    assert nonce_claim(claim_key("dpop-jti", "a"), ttl=60, issued_at=issued_before_restart) is Claim.PREDATES_MEMORY
    assert nonce_claim(claim_key("dpop-jti", "c"), ttl=60, issued_at=issued_before_restart) is Claim.PREDATES_MEMORY
    assert nonce_claim(claim_key("dpop-jti", "d"), ttl=60, issued_at=time.time()) is Claim.NEW


def test_nonce_claim_with_the_store_down_raises_503(cache_down):
    cache_down()
    with pytest.raises(ReplayStoreUnavailable) as raised:
        nonce_claim(claim_key("dpop-jti", "a"), ttl=60, issued_at=time.time())
    assert raised.value.status_code == 503
    assert raised.value.get_codes() == "replay_store_unavailable"


@pytest.mark.parametrize(
    "backend",
    ["configured", "django.core.cache.backends.locmem.LocMemCache"],
    ids=["configured-cache", "another-django-cache"],
)
def test_nonce_claim_and_count_counts_only_new_values(backend, settings):
    if backend != "configured":
        settings.CACHES = {**settings.CACHES, "default": {"BACKEND": backend, "LOCATION": "replay-test"}}
        caches["default"].clear()
        replay_epoch_forget()
    now, window = time.time(), fixed_window("client:app", period=60)
    first = nonce_claim_and_count(claim_key("sig-nonce:1", "n-1"), ttl=60, issued_at=now, window=window)
    replayed = nonce_claim_and_count(claim_key("sig-nonce:1", "n-1"), ttl=60, issued_at=now, window=window)
    second = nonce_claim_and_count(claim_key("sig-nonce:1", "n-2"), ttl=60, issued_at=now, window=window)

    assert [(claim, hit.count) for claim, hit in (first, replayed, second)] == [
        (Claim.NEW, 1),
        (Claim.REUSED, 0),
        (Claim.NEW, 2),
    ]
    assert first[1].retry_after == window.retry_after


def test_nonce_claim_and_count_with_the_store_down_raises_503(cache_down):
    cache_down()
    with pytest.raises(ReplayStoreUnavailable) as raised:
        nonce_claim_and_count(
            claim_key("sig-nonce:1", "n"), ttl=60, issued_at=time.time(), window=fixed_window("client:app", period=60)
        )
    assert raised.value.status_code == 503
    assert raised.value.get_codes() == "replay_store_unavailable"


@pytest.mark.parametrize(
    ("policy", "maxmemory", "refused"),
    [
        ("noeviction", 100_000_000, False),
        ("allkeys-lru", 0, False),  # no memory limit: nothing is ever evicted
        ("allkeys-lru", 100_000_000, True),
        ("volatile-lru", 100_000_000, True),  # nonces carry a TTL, so they are the candidates
        ("volatile-ttl", 100_000_000, True),
    ],
)
def test_redis_eviction_problem(policy, maxmemory, refused):
    problem = redis_eviction_problem(policy=policy, maxmemory=maxmemory)
    assert (problem is not None) is refused
    if refused:
        assert f"maxmemory-policy {policy}" in problem


def test_start_on_an_evicting_redis_is_refused_in_process(private_redis):
    caches["default"].client.get_client().config_set("maxmemory", "100mb")
    caches["default"].client.get_client().config_set("maxmemory-policy", "allkeys-lru")
    with pytest.raises(ImproperlyConfigured, match="maxmemory-policy allkeys-lru"):
        replay_store_check()
    caches["default"].client.get_client().config_set("maxmemory-policy", "noeviction")
    replay_store_check()


def _gunicorn_env(redis_url: str, tmp_path) -> dict[str, str]:
    # No request reaches the database: the start is what is tested.
    return {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-lru"])
def test_gunicorn_refuses_to_start_on_a_redis_that_evicts(policy, tmp_path):
    with redis_server("--maxmemory", "100mb", "--maxmemory-policy", policy) as server:
        command = [sys.executable, "-m", "gunicorn", "apiproject.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"]
        env = _gunicorn_env(server.url, tmp_path)
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"maxmemory-policy {policy}" in result.stderr


def test_gunicorn_starts_on_a_noeviction_redis(tmp_path):
    with redis_server("--maxmemory", "100mb", "--maxmemory-policy", "noeviction") as server:
        with gunicorn_server(workers=1, env=_gunicorn_env(server.url, tmp_path)):
            pass  # gunicorn_server raises if the server does not answer /health
