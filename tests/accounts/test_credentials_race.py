"""Race-free revocation (API.md §4): a refresh token rotated in a tight loop never outlives a revocation.

One client rotates a refresh token as fast as gunicorn workers answer, while another process
revokes: logout-all over HTTP, reuse detection (the first, already rotated token presented
again over HTTP), or a password change saved by this test process. Once the revocation has
answered, the rotating client's next refresh must fail, and no refresh token of the user may
be left live. Before the user-row lock, a token being rotated at that moment survived
logout-all in about half the trials: the revoking UPDATE did not see the successor row that
the rotation had not committed yet (READ COMMITTED).
"""

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import requests
from django.test import Client
from oauth2_provider.models import get_refresh_token_model

from accounts.models import RefreshTokenRecord, User
from accounts.services.login import login_session_create
from accounts.services.refresh_tokens import token_pair_obtain
from tests.accounts.factories import UserFactory
from tests.clients.factories import make_api_client
from tests.helpers import gunicorn_server
from tests.oauth.helpers import code_flow_tokens, make_application

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

TRIALS = 20
# Ample for the rotating client to send its next refresh after the revocation answered; a
# token that survived would keep rotating through it. Not a timing assertion: the verdict is
# the state afterwards (the last token refused, no live row).
SETTLE_SECONDS = 1.0
SERVER_ENV = {"API_CLIENT_THROTTLE_RATE": "1000000/minute"}


@dataclass
class Rotator:
    """Rotates one refresh token in a tight loop until it is refused or told to stop."""

    rotate: Callable[[str], requests.Response]
    token: str
    rotations: int = 0
    started: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    statuses: list[int] = field(default_factory=list)

    def run(self, warm_up: int) -> None:
        while not self.stop.is_set():
            response = self.rotate(self.token)
            self.statuses.append(response.status_code)
            if response.status_code != 200:
                return
            body = response.json()
            self.token = body.get("refresh") or body["refresh_token"]  # JWT or OAuth2 token response
            self.rotations += 1
            if self.rotations >= warm_up:
                self.started.set()


def race(rotator: Rotator, revoke: Callable[[], None]) -> None:
    """Start the rotator, revoke while it rotates, then let it run into the revocation."""
    thread = threading.Thread(target=rotator.run, args=(random.randint(1, 4),))
    thread.start()
    assert rotator.started.wait(timeout=30), f"the rotator never got going: {rotator.statuses}"
    revoke()  # has answered when this returns
    thread.join(timeout=SETTLE_SECONDS)
    rotator.stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


# --- JWT refresh tokens ---------------------------------------------------------------------------


def _jwt_trial(url: str, revocation: str) -> tuple[bool, str]:
    """Run one trial; return (survived, detail)."""
    user = UserFactory()
    app = make_api_client()
    headers = {"X-Api-Key": app.key_id}
    first = token_pair_obtain(user=user, client_id=app.client.client_id).refresh
    _, session_token = login_session_create(user=user, client_id=app.client.client_id)

    def rotate(refresh: str) -> requests.Response:
        return requests.post(f"{url}/api/v1/auth/token/refresh", json={"refresh": refresh}, headers=headers, timeout=30)

    def revoke() -> None:
        if revocation == "logout-all":
            response = requests.post(
                f"{url}/api/v1/auth/logout-all",
                headers={**headers, "Authorization": f"Token {session_token}"},
                timeout=30,
            )
            assert response.status_code == 204, response.text
        elif revocation == "reuse":
            assert rotate(first).status_code == 401  # reuse: the whole family is revoked
        else:
            fresh = User.objects.get(pk=user.pk)
            fresh.set_password("another-passphrase-for-the-race-7")
            fresh.save()

    rotator = Rotator(rotate=rotate, token=first)
    race(rotator, revoke)
    last_works = rotate(rotator.token).status_code == 200
    live = RefreshTokenRecord.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).count()
    return last_works or live > 0, f"rotations={rotator.rotations} last_works={last_works} live={live}"


# --- OAuth2 refresh tokens ------------------------------------------------------------------------


def _oauth2_trial(url: str, revocation: str) -> tuple[bool, str]:
    user = UserFactory()
    api = make_api_client()
    oauth_app = make_application()
    browser = Client()
    browser.force_login(user)
    first = code_flow_tokens(browser, oauth_app)["refresh_token"]
    _, session_token = login_session_create(user=user, client_id=api.client.client_id)

    def rotate(refresh: str) -> requests.Response:
        data = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": oauth_app.client_id}
        return requests.post(f"{url}/o/token/", data=data, timeout=30)

    def revoke() -> None:
        if revocation == "logout-all":
            response = requests.post(
                f"{url}/api/v1/auth/logout-all",
                headers={"X-Api-Key": api.key_id, "Authorization": f"Token {session_token}"},
                timeout=30,
            )
            assert response.status_code == 204, response.text
        elif revocation == "reuse":
            assert rotate(first).status_code == 400  # reuse: the toolkit revokes the family
        else:
            fresh = User.objects.get(pk=user.pk)
            fresh.set_password("another-passphrase-for-the-race-7")
            fresh.save()

    rotator = Rotator(rotate=rotate, token=first)
    race(rotator, revoke)
    last_works = rotate(rotator.token).status_code == 200
    live = get_refresh_token_model().objects.filter(user=user, revoked__isnull=True).count()
    return last_works or live > 0, f"rotations={rotator.rotations} last_works={last_works} live={live}"


TRIAL = {"jwt": _jwt_trial, "oauth2": _oauth2_trial}


@pytest.mark.postgres
@pytest.mark.parametrize("revocation", ["logout-all", "reuse", "password-change"])
@pytest.mark.parametrize("kind", ["jwt", "oauth2"])
def test_no_refresh_token_survives_a_revocation_while_rotating(kind, revocation):
    with gunicorn_server(workers=3, env=SERVER_ENV) as url:
        outcomes = [TRIAL[kind](url, revocation) for _ in range(TRIALS)]

    survivors = [detail for survived, detail in outcomes if survived]
    assert survivors == [], f"{len(survivors)} of {TRIALS} trials left a live token: {survivors}"
