"""Claims about several worker processes, checked against gunicorn workers sharing Redis."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from clients.services import api_key_revoke
from tests.clients.factories import make_api_client
from tests.helpers import gunicorn_server

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

WORKERS = 3


def _statuses(url: str, key_id: str, count: int, threads: int = 12) -> list[int]:
    def call(_: int) -> int:
        return requests.get(f"{url}/api/v1/whoami", headers={"X-Api-Key": key_id}, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(call, range(count)))


def test_throttle_admits_exactly_the_limit_across_workers():
    limit = 25
    creds = make_api_client(throttle_rate=f"{limit}/day")
    with gunicorn_server(workers=WORKERS) as url:
        statuses = _statuses(url, creds.key_id, 3 * limit)
    assert statuses.count(200) == limit
    assert statuses.count(429) == 2 * limit


def test_revocation_reaches_every_worker_within_the_cache_period(settings):
    creds = make_api_client()
    with gunicorn_server(workers=WORKERS) as url:
        # Every worker looks the key up and caches it.
        assert set(_statuses(url, creds.key_id, 30)) == {200}
        api_key_revoke(key=creds.key)
        revoked_at = time.monotonic()
        # Every worker cached the key before the revocation, so every cached copy has expired
        # once the cache period has passed (measured from the revocation, not from the end of
        # a burst of requests, so a slow machine cannot stretch it).
        time.sleep(max(0.0, revoked_at + settings.API_KEY_CACHE_SECONDS + 0.5 - time.monotonic()))
        # Refused by every worker, for good.
        assert set(_statuses(url, creds.key_id, 60)) == {401}
