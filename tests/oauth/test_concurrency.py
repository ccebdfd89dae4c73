"""Of N concurrent OAuth2 refreshes with one token exactly one succeeds, and none answers 500.

Real concurrency: threads against gunicorn worker processes sharing PostgreSQL. Before the
user-row lock of oauth.lifecycle, about one refresh in 20 answered 500 (the toolkit
re-issued tokens for a refresh token that another worker had just rotated) and, in some
rounds, two answered 200.
"""

import threading

import pytest
import requests
from django.test import Client

from tests.accounts.factories import UserFactory
from tests.helpers import gunicorn_server
from tests.oauth.helpers import code_flow_tokens, make_application

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

CONCURRENCY = 20
ROUNDS = 3


def _refresh_at_once(url: str, client_id: str, refresh_token: str) -> list[requests.Response]:
    barrier = threading.Barrier(CONCURRENCY)
    responses: list[requests.Response] = []
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}

    def attempt() -> None:
        with requests.Session() as session:
            session.get(f"{url}/api/v1/health", timeout=30)  # connected before the start
            barrier.wait()
            responses.append(session.post(f"{url}/o/token/", data=data, timeout=60))

    threads = [threading.Thread(target=attempt) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.postgres
def test_exactly_one_of_concurrent_oauth2_refreshes_wins_and_none_fails():
    app = make_application()
    browser = Client()
    browser.force_login(UserFactory())
    rounds = []
    with gunicorn_server(workers=4) as url:
        for _ in range(ROUNDS):
            token = code_flow_tokens(browser, app)["refresh_token"]
            rounds.append(_refresh_at_once(url, app.client_id, token))

    for responses in rounds:
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [400] * (CONCURRENCY - 1), statuses
        for response in responses:
            assert response.headers["Content-Type"].startswith("application/json")
            if response.status_code == 400:
                assert response.json()["error"] == "invalid_grant"
