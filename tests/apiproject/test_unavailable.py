"""A database or cache that cannot be reached: 503 with a JSON code and Retry-After, never a 500."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests
from django.db import connection
from rest_framework import status

from accounts.services.login import login_session_create
from purchases.models import Purchase
from tests.helpers import _database_url, gunicorn_server

WHOAMI = "/api/v1/whoami"


def _assert_unavailable(response, code: str) -> None:
    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE, response.content[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.django_db
def test_cache_down_returns_503_with_retry_after(api_client, api_key, cache_down):
    api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id)  # warm the key lookup
    cache_down()
    _assert_unavailable(api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id), "rate_limit_store_unavailable")
    _assert_unavailable(api_client.get("/api/v1/health/ready"), "cache_unavailable")


def test_database_unreachable_returns_503_with_retry_after_everywhere(tmp_path):
    # A database that cannot be opened (SQLite in a directory that does not exist), so this runs
    # in both test modes; DRF views, the readiness probe and the toolkit's /o/token/ all answer.
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/absent/db.sqlite3", "API_SINGLE_PROCESS": "1"}
    with gunicorn_server(workers=1, env=env) as url:
        whoami = requests.get(f"{url}{WHOAMI}", headers={"X-Api-Key": "k" * 22}, timeout=10)
        ready = requests.get(f"{url}/api/v1/health/ready", timeout=10)
        token = requests.post(
            f"{url}/o/token/",
            data={"grant_type": "client_credentials", "client_id": "app", "client_secret": "s"},
            timeout=10,
        )
    _assert_unavailable(whoami, "database_unavailable")
    _assert_unavailable(ready, "database_unavailable")
    _assert_unavailable(token, "database_unavailable")


def _terminate_backends_until(stop: threading.Event, *, spare: set[int]) -> int:
    """End every other backend of the test database every 50 ms; return how many were ended."""
    ended = 0
    with psycopg.connect(_database_url(), autocommit=True) as admin:
        spare = spare | {admin.info.backend_pid}
        while not stop.is_set():
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND NOT (pid = ANY(%s))",
                [list(spare)],
            ).fetchall()
            ended += sum(1 for (done,) in rows if done)
            time.sleep(0.05)
    return ended


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_backend_terminations_under_load_give_503s_and_lose_no_row(api_key, user):
    _, token = login_session_create(user=user, client_id=api_key.client.client_id)
    headers = {"X-Api-Key": api_key.key_id, "Authorization": f"Token {token}"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    # Persistent connections, as in production: each worker reuses its connection for 60 s.
    with gunicorn_server(workers=2, env={"DJANGO_CONN_MAX_AGE": "60"}) as url:

        def post(n: int) -> requests.Response:
            body = {"item": f"item-{n}", "quantity": 1, "unit_price": "1.00"}
            return requests.post(f"{url}/api/v1/purchases/", json=body, headers=headers, timeout=30)

        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=5) as pool:
            terminator = pool.submit(_terminate_backends_until, stop, spare={own_pid})
            responses = list(pool.map(post, range(300)))
            stop.set()
            ended = terminator.result()

    assert ended > 0
    codes = [response.status_code for response in responses]
    assert set(codes) <= {201, 503}, sorted(set(codes))
    for response in responses:
        if response.status_code == 503:
            _assert_unavailable(response, "database_unavailable")
    created = {response.json()["id"] for response in responses if response.status_code == 201}
    assert created <= set(Purchase.objects.values_list("id", flat=True))
    assert codes.count(201) >= 100  # the server kept serving between terminations
