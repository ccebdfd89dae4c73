"""Replay protection holds across gunicorn worker processes sharing Redis (API.md §3)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from apiclient.signing import HttpSignatureAuth
from tests.helpers import gunicorn_server, replay

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def _signed_whoami(base_url: str, api_key) -> requests.PreparedRequest:
    request = requests.Request("GET", f"{base_url}/api/v1/whoami").prepare()
    HttpSignatureAuth(api_key.key_id, api_key.secret).sign(request)
    return request


def test_request_replayed_against_another_worker_returns_401(api_key):
    # Two single-worker servers make "another worker" certain rather than up to the kernel.
    with gunicorn_server(workers=1) as first, gunicorn_server(workers=1) as second:
        request = _signed_whoami(first, api_key)
        accepted = requests.Session().send(request, timeout=10)
        replayed = replay(request, second)

    assert accepted.status_code == 200, accepted.text
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "nonce_reused"
    assert "Signature" in replayed.headers["WWW-Authenticate"]


def test_concurrent_replays_across_workers_are_accepted_once(api_key):
    with gunicorn_server(workers=4) as base_url:
        request = _signed_whoami(base_url, api_key)
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda _: replay(request, base_url), range(8)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 7
    assert {response.json()["code"] for response in responses if response.status_code == 401} == {"nonce_reused"}
