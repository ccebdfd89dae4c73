"""A DPoP proof's jti is accepted once across gunicorn worker processes sharing Redis (API.md §12)."""

import http.client
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from accounts.services.refresh_tokens import token_pair_obtain
from apiclient.dpop import DPoPKey
from tests.dpop.helpers import thumbprint
from tests.helpers import gunicorn_server

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

PUBLIC = "http://api.test"  # the Host both servers are sent, so one proof's htu fits either


def whoami(base_url: str, api_key, token: str, proof: str) -> requests.Response:
    headers = {"Host": "api.test", "X-Api-Key": api_key.key_id, "Authorization": f"DPoP {token}", "DPoP": proof}
    return requests.get(f"{base_url}/api/v1/whoami", headers=headers, timeout=10)


@pytest.fixture
def bound(api_key, user):
    key = DPoPKey()
    access = token_pair_obtain(user=user, client_id=api_key.client.client_id, jkt=thumbprint(key)).access
    return key, access


def test_proof_replayed_against_another_worker_returns_401(api_key, bound):
    key, access = bound
    env = {"DJANGO_ALLOWED_HOSTS": "api.test,127.0.0.1"}
    # Two single-worker servers make "another worker" certain rather than up to the kernel.
    with gunicorn_server(workers=1, env=env) as first, gunicorn_server(workers=1, env=env) as second:
        proof = key.proof("GET", f"{PUBLIC}/api/v1/whoami", access_token=access)
        accepted = whoami(first, api_key, access, proof)
        replayed = whoami(second, api_key, access, proof)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["schemes"] == ["key", "jwt", "dpop"]
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "invalid_dpop_proof"
    assert 'DPoP error="invalid_dpop_proof"' in replayed.headers["WWW-Authenticate"]


def test_concurrent_replays_across_workers_are_accepted_once(api_key, bound):
    key, access = bound
    with gunicorn_server(workers=4, env={"DJANGO_ALLOWED_HOSTS": "api.test,127.0.0.1"}) as base_url:
        proof = key.proof("GET", f"{PUBLIC}/api/v1/whoami", access_token=access)
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda _: whoami(base_url, api_key, access, proof), range(8)))

    assert sorted(response.status_code for response in responses) == [200] + [401] * 7
    assert {r.json()["code"] for r in responses if r.status_code == 401} == {"invalid_dpop_proof"}


def test_duplicate_dpop_headers_return_401_invalid_dpop_proof(api_key, bound):
    # Django's test client cannot send a header twice; over a socket gunicorn joins the two.
    key, access = bound
    with gunicorn_server(workers=1, env={"DJANGO_ALLOWED_HOSTS": "api.test,127.0.0.1"}) as base_url:
        url = f"{PUBLIC}/api/v1/whoami"
        first, second = (key.proof("GET", url, access_token=access) for _ in range(2))
        connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=10)
        connection.putrequest("GET", "/api/v1/whoami", skip_host=True)
        for name, value in [
            ("Host", "api.test"),
            ("X-Api-Key", api_key.key_id),
            ("Authorization", f"DPoP {access}"),
            ("DPoP", first),
            ("DPoP", second),
        ]:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()

    assert response.status == 401, body
    assert b"invalid_dpop_proof" in body
