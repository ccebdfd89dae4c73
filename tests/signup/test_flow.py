"""The whole signup, driven as a client would drive it, in-process and against gunicorn workers."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rest_framework import status

from accounts.models import User
from tests.clients.factories import ApiCredentials
from tests.helpers import gunicorn_server
from tests.signup.helpers import CAPTCHA, CREATE_PERSON, FIND_PERSON, SESSION, signup_token, siteverify_server, solve

pytestmark = pytest.mark.django_db

PERSON = {"username": "grace", "email": "grace@example.com", "password": "compiler-a-0-1952"}


def test_signup_from_captcha_to_person(app_client, api_key):
    # 1. The app fetches a challenge and solves it with the altcha library.
    challenge = app_client.get(CAPTCHA)
    captcha = solve(challenge.json())
    # 2. It exchanges the solution for an anonymous token.
    session = app_client.post(SESSION, {"captcha": captcha}, format="json")
    token = session.json()["token"]
    app_client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Bearer {token}")
    # 3. It checks whether the name and the address are free, then creates the person.
    by_username = app_client.post(FIND_PERSON, {"username": PERSON["username"]}, format="json")
    by_email = app_client.post(FIND_PERSON, {"email": PERSON["email"]}, format="json")
    created = app_client.post(CREATE_PERSON, PERSON, format="json")
    # 4. The person exists; the token is spent.
    again = app_client.post(CREATE_PERSON, PERSON, format="json")

    assert (challenge.status_code, session.status_code) == (200, 201)
    assert by_username.json() == by_email.json() == {"exists": False}
    assert created.status_code == status.HTTP_201_CREATED
    assert User.objects.get(username="grace").check_password(PERSON["password"])
    assert again.status_code == status.HTTP_401_UNAUTHORIZED


def test_next_visitor_finds_the_person(app_client, api_key):
    app_client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Bearer {signup_token(app_client)}")
    app_client.post(CREATE_PERSON, PERSON, format="json")
    app_client.credentials(HTTP_X_API_KEY=api_key.key_id)  # a new visitor: the app key alone
    app_client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Bearer {signup_token(app_client)}")

    response = app_client.post(FIND_PERSON, {"email": "GRACE@example.com"}, format="json")

    assert response.json() == {"exists": True}


# --- Several worker processes sharing PostgreSQL and Redis ------------------------------------


class HttpSignupClient:
    """The same client over real HTTP."""

    def __init__(self, base_url: str, key_id: str) -> None:
        self.base_url, self.session = base_url, requests.Session()
        self.session.headers["X-Api-Key"] = key_id

    def token(self) -> str:
        captcha = solve(self.session.get(self.base_url + CAPTCHA, timeout=10).json())
        response = self.session.post(self.base_url + SESSION, json={"captcha": captcha}, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def post(self, path: str, body: dict, token: str) -> requests.Response:
        return requests.post(
            self.base_url + path,
            json=body,
            timeout=10,
            headers={"X-Api-Key": self.session.headers["X-Api-Key"], "Authorization": f"Bearer {token}"},
        )


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_across_workers_one_captcha_one_token_one_person(api_key: ApiCredentials):
    with gunicorn_server(workers=4) as url:
        client = HttpSignupClient(url, api_key.key_id)
        captcha = solve(client.session.get(url + CAPTCHA, timeout=10).json())
        with ThreadPoolExecutor(max_workers=8) as pool:
            sessions = list(
                pool.map(
                    lambda _: client.session.post(url + SESSION, json={"captcha": captcha}, timeout=10).status_code,
                    range(8),
                )
            )
        token = client.token()
        with ThreadPoolExecutor(max_workers=8) as pool:
            creates = list(
                pool.map(
                    lambda n: (
                        client.post(
                            CREATE_PERSON, {**PERSON, "username": f"grace{n}", "email": f"grace{n}@example.com"}, token
                        ).status_code
                    ),
                    range(8),
                )
            )

    assert sorted(sessions) == [201] + [400] * 7
    assert sorted(creates) == [201] + [401] * 7
    assert User.objects.count() == 1


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_across_workers_a_token_gets_exactly_its_lookups(api_key: ApiCredentials):
    with gunicorn_server(workers=4) as url:
        client = HttpSignupClient(url, api_key.key_id)
        token = client.token()
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(
                pool.map(lambda n: client.post(FIND_PERSON, {"username": f"u{n}"}, token).status_code, range(16))
            )

    assert sorted(codes) == [200] * 10 + [429] * 6


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider", ["turnstile", "hcaptcha"])
def test_across_workers_one_siteverify_token_mints_one_token(api_key: ApiCredentials, provider: str):
    # The local provider says yes to every call: single use is this server's own doing.
    with siteverify_server() as siteverify:
        env = {
            "SIGNUP_CAPTCHA_BACKEND": provider,
            "SIGNUP_CAPTCHA_SECRET": "test-secret",
            "SIGNUP_CAPTCHA_VERIFY_URL": siteverify.url,
            "NO_PROXY": "127.0.0.1",
        }
        with gunicorn_server(workers=4, env=env) as url:
            session = requests.Session()
            session.headers["X-Api-Key"] = api_key.key_id
            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = list(
                    pool.map(
                        lambda _: session.post(url + SESSION, json={"captcha": "one-token"}, timeout=10),
                        range(8),
                    )
                )
    assert sorted(answer.status_code for answer in answers) == [201] + [400] * 7
    assert {answer.json().get("code") for answer in answers if answer.status_code == 400} == {"captcha_invalid"}
    assert len(siteverify.forms) == 8  # every worker asked the provider, and it said yes each time
