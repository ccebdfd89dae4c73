"""Usage statistics under faults: a killed worker, a database hiccup, a failing write, random agents."""

import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.cache import caches
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django_redis.cache import RedisCache

from clients.models import UsageRecord
from clients.usage import PENDING_KEY, usage_flush
from tests.clients.factories import make_api_client
from tests.helpers import gunicorn_server

WHOAMI = "/api/v1/whoami"


def _total() -> int:
    return UsageRecord.objects.aggregate(n=Sum("count"))["n"] or 0


def _worker_pids(url: str) -> list[int]:
    """The gunicorn workers serving `url`: the children of the master this process started."""
    bind = f"127.0.0.1:{url.rsplit(':', 1)[1]}".encode()
    processes = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline, open(f"/proc/{entry}/stat") as stat:
                if bind in cmdline.read().split(b"\0"):
                    processes[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
        except OSError:  # the process ended while we looked
            continue
    masters = [pid for pid, parent in processes.items() if parent == os.getpid()]
    return [pid for pid, parent in processes.items() if parent in masters]


@pytest.fixture
def in_process_memory(settings):
    """Count usage in process memory (no Redis), as a one-process server does."""
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "apiproject.cache.LocalCache", "LOCATION": "usage"}}


def _terminate_own_backend() -> None:
    """End this test's PostgreSQL backend, as a restart or failover would: its next query fails."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    import psycopg

    from tests.helpers import _database_url

    with psycopg.connect(_database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_worker_killed_with_sigkill_loses_no_count_on_redis():
    api_key = make_api_client(throttle_rate="1000000/minute")
    answered = []
    sent = []
    stop = threading.Event()

    with gunicorn_server(workers=2) as url:

        def load(_: int) -> None:
            with requests.Session() as session:
                while not stop.is_set():
                    sent.append(1)
                    try:
                        response = session.get(f"{url}{WHOAMI}", headers={"X-Api-Key": api_key.key_id}, timeout=10)
                    except requests.RequestException:  # the killed worker's connection
                        continue
                    answered.append(response.status_code)

        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(load, n) for n in range(4)]
            time.sleep(3)
            victim = _worker_pids(url)[0]
            os.kill(victim, signal.SIGKILL)
            time.sleep(3)
            stop.set()
            for future in futures:
                future.result()
    usage_flush()

    assert set(answered) == {200}
    # Every answered request is counted; an unanswered one (cut off by the kill) at most once.
    assert len(answered) <= _total() <= len(sent)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["redis", "memory"])
def test_database_hiccup_during_the_flush_loses_no_count(api_client, api_key, settings, store, request):
    if store == "memory":
        request.getfixturevalue("in_process_memory")
    elif not isinstance(caches["default"], RedisCache):
        pytest.skip("needs Redis: set REDIS_URL")
    settings.API_USAGE_FLUSH_SECONDS = 3600
    for _ in range(7):
        assert api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).status_code == 200

    _terminate_own_backend()
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a dead connection
        usage_flush()
    connection.close()  # what Django does before the next request (CONN_HEALTH_CHECKS)
    usage_flush()

    assert _total() == 7


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_failing_usage_write_inside_a_request_never_changes_its_response(
    api_client, api_key, settings, in_process_memory, caplog
):
    settings.API_USAGE_FLUSH_SECONDS = 0  # every request writes: the old in-request flush
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id).status_code == 200  # warm the key cache

    _terminate_own_backend()
    with caplog.at_level(logging.ERROR, logger="clients.usage"):
        response = api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id)

    assert response.status_code == 200
    assert "usage: count not recorded" in caplog.text
    connection.close()
    usage_flush()
    assert _total() == 2  # the failed batch was kept and written next time


@pytest.mark.redis
@pytest.mark.django_db
def test_failing_usage_count_on_redis_never_changes_the_response(api_client, api_key, caplog):
    cache = caches["default"]
    # The pending hash's key holds a string: every HINCRBY on it fails (WRONGTYPE), on a real
    # Redis, while the throttle's script in the same pipeline still succeeds.
    cache.client.get_client(write=True).set(cache.make_key(PENDING_KEY), "not a hash")
    with caplog.at_level(logging.WARNING, logger="clients.usage"):
        responses = [api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id) for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert "usage: count not recorded" in caplog.text


@pytest.mark.django_db
def test_unique_user_agents_neither_grow_the_table_nor_the_flush(api_client, api_key, settings):
    settings.API_USAGE_FLUSH_SECONDS = 3600
    settings.API_USAGE_MAX_DISTINCT = 5
    for n in range(300):
        api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT=f"random/{n}")

    with CaptureQueriesContext(connection) as queries:
        usage_flush()

    assert _total() == 300
    agents = set(UsageRecord.objects.values_list("user_agent", flat=True))
    assert agents == {"random/0", "random/1", "random/2", "random/3", "random/4", "other"}
    # One statement for the rows, whatever their number: the flush time does not grow with them.
    assert len(queries) <= 6
