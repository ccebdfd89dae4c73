"""Every worker's copy of a token's user follows the row: a committed change is seen from the next request on.

accounts.user_cache keeps, in each gunicorn worker, a copy of the user a JWT or an OAuth2 access
token names, checked against generation tags on the shared Redis on every request. These tests
run three worker processes on the test's PostgreSQL and Redis, make every worker hold a copy
(many concurrent requests on new connections, all 200), change the user in this process, and
require every following request in every worker to see the change, as a query per request
would. The last test pins the cost: a warmed JWT request makes one Redis round trip.
"""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.refresh_tokens import token_pair_obtain
from tests.clients.factories import ApiCredentials
from tests.helpers import gunicorn_server
from tests.oauth.helpers import make_application, mint_access_token

# Module-wide: every test here writes through real commits. Only the gunicorn tests are `live`;
# the round-trip test at the end runs in process (`redis`).
pytestmark = [pytest.mark.django_db(transaction=True)]

WORKERS = 3
ROUND = 30  # concurrent requests on new connections per round; rounds go on until every worker served one
THREADS = 9
SCHEMES = ["jwt", "oauth2"]
WHOAMI = "/api/v1/whoami"
PURCHASES = "/api/v1/purchases/"
LOGOUT_ALL = "/api/v1/auth/logout-all"
NEW_PURCHASE = {"item": "Widget", "quantity": 2, "unit_price": "3.50"}

Send = Callable[[int], requests.Response]


class Server:
    """A gunicorn server whose access log names the worker (pid) that served each request."""

    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def pids(self) -> list[str]:
        """The worker of each request logged so far, but the health checks of gunicorn_server."""
        lines = [line.split() for line in self.log.read_text().splitlines()]
        return [line[0] for line in lines if line and line[-1] != "/api/v1/health"]


@contextlib.contextmanager
def server(tmp_path: Path) -> Iterator[Server]:
    log = tmp_path / "access.log"
    log.touch()
    env = {
        # Copies otherwise live API_KEY_CACHE_SECONDS (5 s): long enough here that only the tags
        # can make a worker read the row again within a test.
        "API_KEY_CACHE_SECONDS": "600",
        # gunicorn reads these before its command line; %(p)s is the worker's pid.
        "GUNICORN_CMD_ARGS": f"--access-logfile {log} --access-logformat '%(p)s %(s)s %(m)s %(U)s'",
    }
    with gunicorn_server(workers=WORKERS, env=env) as url:
        yield Server(url, log)


def _headers(scheme: str, url: str, user: User, api_key: ApiCredentials) -> dict[str, str]:
    """An access token of `scheme` for `user`, as the client would send it to the server at `url`."""
    if scheme == "jwt":
        pair = token_pair_obtain(user=user, client_id=api_key.client.client_id)
        return {"X-Api-Key": api_key.key_id, "Authorization": f"Bearer {pair.access}"}
    # The server derives its issuer from the request's host (OAUTH2_ISSUER unset).
    return {"Authorization": f"Bearer {mint_access_token(make_application(), user, issuer=f'{url}/o')}"}


def _sender(url: str, headers: dict[str, str], method: str = "GET", path: str = WHOAMI) -> Send:
    def send(_: int) -> requests.Response:
        body = NEW_PURCHASE if method == "POST" and path == PURCHASES else None
        # A new connection each (and sync workers close every connection): spread over the workers.
        return requests.request(method, f"{url}{path}", headers=headers, json=body, timeout=15)

    return send


def _many(send: Send, count: int) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(send, range(count)))


def _every_worker(srv: Server, send: Send, count: int = ROUND) -> list[requests.Response]:
    """Send rounds of `count` concurrent requests until each worker has served one of them; return all.

    A server answers its health check once one worker is up: the others may still be loading.
    """
    seen = len(srv.pids())
    responses: list[requests.Response] = []
    deadline = time.monotonic() + 30
    while True:
        responses += _many(send, count)
        logged = time.monotonic() + 5
        while len(srv.pids()) < seen + len(responses) and time.monotonic() < logged:
            time.sleep(0.02)  # a worker logs just after it answers
        served = srv.pids()[seen:]
        assert len(served) == len(responses), "a request is missing from the access log"
        if len(set(served)) == WORKERS:
            return responses
        assert time.monotonic() < deadline, f"only workers {set(served)} served"


def _warm(srv: Server, send: Send, username: str) -> None:
    """Have every worker make and use its copy of the user."""
    warm = _every_worker(srv, send)
    assert [response.status_code for response in warm] == [200] * len(warm), [
        r.text for r in warm if r.status_code != 200
    ]
    assert {response.json()["user"] for response in warm} == {username}


def _assert_refused(responses: list[requests.Response]) -> None:
    statuses = [response.status_code for response in responses]
    assert statuses == [401] * len(responses), [
        (r.status_code, r.text[:200]) for r in responses if r.status_code != 401
    ]
    assert {response.json()["code"] for response in responses} == {"invalid_token"}
    assert all('Bearer realm="api"' in response.headers.get("WWW-Authenticate", "") for response in responses)


# --- Deactivation, deletion, renaming --------------------------------------------------------------


def _deactivate_by_save(user) -> None:
    user.is_active = False
    user.save()


def _deactivate_by_queryset_update(user) -> None:
    assert User.objects.filter(pk=user.pk).update(is_active=False) == 1


def _deactivate_by_upsert(user) -> None:
    # An upsert rewrites the row with no post_save and no update(): UserQuerySet announces it.
    User.objects.bulk_create(
        [User(username=user.username, password=user.password, is_active=False)],
        update_conflicts=True,
        unique_fields=["username"],
        update_fields=["is_active"],
    )


DEACTIVATIONS = {
    "save": _deactivate_by_save,
    "queryset-update": _deactivate_by_queryset_update,
    "bulk-create-upsert": _deactivate_by_upsert,
}


@pytest.mark.live
@pytest.mark.parametrize("deactivate", DEACTIVATIONS.values(), ids=DEACTIVATIONS.keys())
@pytest.mark.parametrize("scheme", SCHEMES)
def test_deactivation_refuses_the_token_in_every_worker(scheme, deactivate, api_key, user, tmp_path):
    with server(tmp_path) as srv:
        whoami = _sender(srv.url, _headers(scheme, srv.url, user, api_key))
        _warm(srv, whoami, user.username)
        deactivate(user)
        after = _every_worker(srv, whoami)

    _assert_refused(after)


@pytest.mark.live
@pytest.mark.parametrize("scheme", SCHEMES)
def test_deleted_users_token_gets_401_on_every_endpoint_in_every_worker_never_5xx(scheme, api_key, user, tmp_path):
    endpoints = (("GET", WHOAMI), ("GET", PURCHASES), ("POST", PURCHASES), ("POST", LOGOUT_ALL))
    with server(tmp_path) as srv:
        headers = _headers(scheme, srv.url, user, api_key)
        _warm(srv, _sender(srv.url, headers), user.username)
        created = _sender(srv.url, headers, "POST", PURCHASES)(0)
        assert created.status_code == 201, created.text  # the token may write while the user exists
        user.delete()
        after = {
            (method, path): _every_worker(srv, _sender(srv.url, headers, method, path), 15)
            for method, path in endpoints
        }

    failed = {
        endpoint: [r.status_code for r in responses if r.status_code >= 500] for endpoint, responses in after.items()
    }
    assert not any(failed.values()), failed  # a deleted user's id reaching a foreign key would be a 500
    for responses in after.values():
        _assert_refused(responses)


@pytest.mark.live
@pytest.mark.parametrize("scheme", SCHEMES)
def test_new_username_is_seen_in_every_worker(scheme, api_key, user, tmp_path):
    with server(tmp_path) as srv:
        whoami = _sender(srv.url, _headers(scheme, srv.url, user, api_key))
        _warm(srv, whoami, user.username)
        user.username = f"{user.username}-renamed"
        user.save()
        after = _every_worker(srv, whoami)

    assert [response.status_code for response in after] == [200] * len(after)
    assert {response.json()["user"] for response in after} == {user.username}


@pytest.mark.live
@pytest.mark.parametrize("rewarm", [False, True], ids=["saved-at-once", "used-again-first"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_deactivation_after_a_redis_flush_is_seen_in_every_worker(scheme, rewarm, api_key, user, tmp_path):
    # A flush loses every tag: the workers' copies then carry tags the store no longer has.
    with server(tmp_path) as srv:
        whoami = _sender(srv.url, _headers(scheme, srv.url, user, api_key))
        _warm(srv, whoami, user.username)
        get_redis_connection("default").flushdb()
        if rewarm:  # every worker makes new tags and a new copy before the change
            _warm(srv, whoami, user.username)
        _deactivate_by_save(user)
        after = _every_worker(srv, whoami)

    _assert_refused(after)


# --- A race: requests in flight while the user is deactivated ------------------------------------


@pytest.mark.live
@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_request_sent_after_the_deactivation_returned_succeeds(scheme, api_key, user, tmp_path):
    results: list[tuple[float, int]] = []  # (when the request was sent, its status)
    lock = threading.Lock()
    stop = threading.Event()

    with server(tmp_path) as srv:
        whoami = _sender(srv.url, _headers(scheme, srv.url, user, api_key))
        _warm(srv, whoami, user.username)

        def hammer() -> None:
            while not stop.is_set():
                sent = time.monotonic()
                status = whoami(0).status_code
                with lock:
                    results.append((sent, status))

        threads = [threading.Thread(target=hammer) for _ in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        user.is_active = False
        user.save()  # in autocommit: committed, and the tag renewed (on_commit), when it returns
        saved = time.monotonic()
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join()

    before = [status for sent, status in results if sent < saved]
    after = [status for sent, status in results if sent > saved]
    assert set(before) <= {200, 401}, set(before)  # 401 only for requests that overlapped the save
    assert before.count(200) >= 20, before  # the hammering ran while the user was active
    assert len(after) >= 20, len(after)
    assert after == [401] * len(after), sorted(set(after))


# --- What it costs ---------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.parametrize("scheme", SCHEMES)
def test_warmed_token_request_makes_one_redis_round_trip(scheme, api_key, user, monkeypatch):
    """The user's tags ride the app's rate-limit count: one pipeline, one send_packed_command."""
    from redis.connection import AbstractConnection

    client = APIClient()
    if scheme == "jwt":
        pair = token_pair_obtain(user=user, client_id=api_key.client.client_id)
        client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_access_token(make_application(), user)}")
    for _ in range(2):  # loads the key and the user's copy, makes the tags, loads the count script
        assert client.get(WHOAMI).status_code == 200

    trips = 0
    send = AbstractConnection.send_packed_command

    def counted(self, *args, **kwargs):
        nonlocal trips
        trips += 1  # one per network round trip, a pipeline included
        return send(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    response = client.get(WHOAMI)
    monkeypatch.undo()

    assert response.status_code == 200
    assert response.json()["user"] == user.username
    assert trips == 1
