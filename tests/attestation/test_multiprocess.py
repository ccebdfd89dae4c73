"""A PoP's jti is accepted once across gunicorn worker processes sharing Redis (API.md §13)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.helpers import gunicorn_server, replay

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def _attested_whoami(base_url: str, instance) -> requests.PreparedRequest:
    request = requests.Request("GET", f"{base_url}/api/v1/whoami").prepare()
    return instance.auth(audience=f"{base_url}/o")(request)  # apiclient.attestation.ClientAttestationAuth


def test_pop_replayed_against_another_worker_returns_401(instance, mobile_app):
    # Two single-worker servers make "another worker" certain rather than up to the kernel.
    with gunicorn_server(workers=1) as first, gunicorn_server(workers=1) as second:
        request = _attested_whoami(first, instance)
        accepted = requests.Session().send(request, timeout=10)
        replayed = replay(request, second)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["schemes"] == ["attestation"]
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "invalid_client_attestation"
    assert "WWW-Authenticate" in replayed.headers


def test_concurrent_replays_across_workers_are_accepted_once(instance, mobile_app):
    with gunicorn_server(workers=4) as base_url:
        request = _attested_whoami(base_url, instance)
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda _: replay(request, base_url), range(8)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 7
    assert {r.json()["code"] for r in responses if r.status_code == 401} == {"invalid_client_attestation"}
