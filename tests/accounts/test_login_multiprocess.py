"""Logout takes effect at once in every gunicorn worker process (API.md §4)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.accounts.factories import DEFAULT_PASSWORD
from tests.helpers import gunicorn_server

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_logout_in_one_worker_refuses_the_token_in_every_other(api_key, user):
    # A one-worker server for login and logout, and a three-worker server that has used the
    # token just before: "another worker" is then certain, not up to the kernel's scheduling.
    with gunicorn_server(workers=1) as first, gunicorn_server(workers=3) as second:
        login = requests.post(
            f"{first}/api/v1/auth/login",
            auth=(user.username, DEFAULT_PASSWORD),
            headers={"X-Api-Key": api_key.key_id},
            timeout=10,
        )
        assert login.status_code == 201, login.text
        headers = {"X-Api-Key": api_key.key_id, "Authorization": f"Token {login.json()['token']}"}

        def whoami(_: int) -> requests.Response:
            return requests.get(f"{second}/api/v1/whoami", headers=headers, timeout=10)  # a new connection each

        with ThreadPoolExecutor(max_workers=6) as pool:
            warm = list(pool.map(whoami, range(24)))
        logout = requests.post(f"{first}/api/v1/auth/logout", headers=headers, timeout=10)
        with ThreadPoolExecutor(max_workers=6) as pool:
            after = list(pool.map(whoami, range(60)))

    assert [response.status_code for response in warm] == [200] * 24
    assert all(response.json()["user"] == user.username for response in warm)
    assert logout.status_code == 204
    assert [response.status_code for response in after] == [401] * 60
    assert {response.json()["code"] for response in after} == {"invalid_token"}
    assert all('Token realm="api"' in response.headers["WWW-Authenticate"] for response in after)
