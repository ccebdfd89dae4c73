"""Two "hosts" (two gunicorn masters, each with its own workers) sharing PostgreSQL and Redis.

Each claim that holds across the workers of one master must hold across machines too: nothing
a request depends on may live in one process's or one host's memory alone.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest
import requests

from apiclient.signing import HttpSignatureAuth
from clients.services import api_key_revoke
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.clients.factories import make_api_client
from tests.deploy.helpers import app_servers

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# What nginx sends: the request came over TLS (the hosts trust 127.0.0.1 as their proxy).
VIA_TLS = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def hosts(django_db_setup, django_db_blocker):
    with app_servers(2, workers=2) as binds:
        yield [f"http://{bind}" for bind in binds]


def _get(host: str, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{host}{path}", headers={**VIA_TLS, **headers}, timeout=15, allow_redirects=False)


def test_a_nonce_accepted_by_one_host_is_refused_by_the_other(hosts):
    creds = make_api_client()
    first, second = hosts
    # Signed as the client sees it, https through the proxy; delivered as nginx would deliver it.
    public = first.replace("http://", "https://")
    request = requests.Request("GET", f"{public}/api/v1/whoami", headers=VIA_TLS).prepare()
    HttpSignatureAuth(creds.key_id, creds.secret).sign(request)
    request.headers["Host"] = first.removeprefix("http://")
    original, replay = request.copy(), request.copy()
    original.url = request.url.replace(public, first)
    assert requests.Session().send(original, timeout=15).status_code == 200
    # The same signed request, byte for byte, sent to the other host.
    replay.url = request.url.replace(public, second)
    response = requests.Session().send(replay, timeout=15)
    assert response.status_code == 401
    assert response.json()["code"] == "nonce_reused"


def test_throttle_admits_exactly_the_limit_across_hosts(hosts):
    limit = 20
    creds = make_api_client(throttle_rate=f"{limit}/day")
    targets = [host for host, _ in zip(cycle(hosts), range(3 * limit), strict=False)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda host: _get(host, "/api/v1/whoami", **{"X-Api-Key": creds.key_id}).status_code, targets)
        )
    assert statuses.count(200) == limit
    assert statuses.count(429) == 2 * limit


def test_key_revocation_reaches_both_hosts_within_the_cache_period(hosts, settings):
    creds = make_api_client()
    for host in hosts:
        for _ in range(4):  # every worker of both hosts caches the key
            assert _get(host, "/api/v1/whoami", **{"X-Api-Key": creds.key_id}).status_code == 200
    api_key_revoke(key=creds.key)
    revoked_at = time.monotonic()
    # Wait out the cache period from the revocation, then assert: no timed assertion.
    time.sleep(max(0.0, revoked_at + settings.API_KEY_CACHE_SECONDS + 0.5 - time.monotonic()))
    for host in hosts:
        for _ in range(6):
            assert _get(host, "/api/v1/whoami", **{"X-Api-Key": creds.key_id}).status_code == 401


def test_logout_all_on_one_host_ends_every_credential_on_the_other_at_once(hosts):
    creds, user = make_api_client(), UserFactory()
    first, second = hosts
    app = {**VIA_TLS, "X-Api-Key": creds.key_id}
    login = requests.post(f"{first}/api/v1/auth/login", auth=(user.username, DEFAULT_PASSWORD), headers=app, timeout=15)
    assert login.status_code == 201, login.text
    token = login.json()["token"]
    pair = requests.post(
        f"{second}/api/v1/auth/token",
        json={"username": user.username, "password": DEFAULT_PASSWORD},
        headers=app,
        timeout=15,
    ).json()
    assert _get(second, "/api/v1/whoami", **{"X-Api-Key": creds.key_id, "Authorization": f"Token {token}"}).ok
    ended = requests.post(
        f"{first}/api/v1/auth/logout-all", headers={**app, "Authorization": f"Token {token}"}, timeout=15
    )
    assert ended.status_code == 204
    # At once, on the other host: no waiting.
    session = _get(second, "/api/v1/whoami", **{"X-Api-Key": creds.key_id, "Authorization": f"Token {token}"})
    assert session.status_code == 401
    refresh = requests.post(
        f"{second}/api/v1/auth/token/refresh", json={"refresh": pair["refresh"]}, headers=app, timeout=15
    )
    assert refresh.status_code == 401
