"""Credentials end when they should: logout-all, a password change by any path, deactivation, deletion.

Each test holds one credential of every kind (a login session token, a JWT login, an OAuth2
login from the code flow, two browser sessions) and checks each one after the event.
"""

import io
from dataclasses import dataclass
from unittest import mock

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.management.commands import changepassword
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import LoginSession, RefreshTokenRecord, User
from accounts.services.credentials import user_credentials_revoke
from accounts.services.login import login_session_create
from accounts.services.refresh_tokens import token_pair_obtain
from accounts.signals import credentials_revoking
from audit.models import AuditEvent
from oauth.models import OAuthApplication
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.clients.factories import ApiCredentials
from tests.oauth.helpers import code_flow_tokens, make_application, refresh_grant

NEW_PASSWORD = "a-new-passphrase-nobody-guesses-42"
WHOAMI = "/api/v1/whoami"


@dataclass
class Held:
    """One credential of every kind, all of one user."""

    session_token: str
    jwt_refresh: str
    oauth2_app: OAuthApplication
    oauth2: dict
    browser: Client  # signed in with Django's session cookie (it also ran the OAuth2 consent)


@pytest.fixture
def held(user, api_key: ApiCredentials) -> Held:
    _, token = login_session_create(user=user, client_id=api_key.client.client_id)
    pair = token_pair_obtain(user=user, client_id=api_key.client.client_id)
    browser = Client()
    browser.force_login(user)
    app = make_application()
    return Held(token, pair.refresh, app, code_flow_tokens(browser, app), browser)


def _session_token_works(held: Held, api_key: ApiCredentials) -> bool:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Token {held.session_token}")
    return client.get(WHOAMI).status_code == 200


def _jwt_refresh_works(held: Held, api_key: ApiCredentials) -> bool:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.key_id)
    response = client.post("/api/v1/auth/token/refresh", {"refresh": held.jwt_refresh}, format="json")
    assert response.status_code in (200, 401), response.content
    return response.status_code == 200


def _oauth2_refresh_works(held: Held) -> bool:
    response = refresh_grant(Client(), held.oauth2_app, held.oauth2["refresh_token"])
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["error"] == "invalid_grant"
    return response.status_code == 200


def _browser_session_works(browser: Client) -> bool:
    return browser.get(WHOAMI).json().get("user") is not None


def still_working(held: Held, api_key: ApiCredentials) -> dict[str, bool]:
    return {
        "session_token": _session_token_works(held, api_key),
        "jwt_refresh": _jwt_refresh_works(held, api_key),
        "oauth2_refresh": _oauth2_refresh_works(held),
        "browser_session": _browser_session_works(held.browser),
    }


NONE_WORKS = {"session_token": False, "jwt_refresh": False, "oauth2_refresh": False, "browser_session": False}


def test_held_credentials_all_work_before_any_event(held, api_key):
    assert _browser_session_works(held.browser)
    assert _session_token_works(held, api_key)


# --- logout-all ----------------------------------------------------------------------------------


def test_logout_all_ends_every_kind_of_credential(held, api_key):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Token {held.session_token}")

    assert client.post("/api/v1/auth/logout-all").status_code == 204

    assert still_working(held, api_key) == NONE_WORKS


def test_logout_all_from_a_browser_session_ends_that_session_too(held, api_key):
    assert held.browser.post("/api/v1/auth/logout-all").status_code == 204

    assert still_working(held, api_key) == NONE_WORKS


def test_logout_all_deletes_oauth2_access_token_rows_so_introspection_says_inactive(held, api_key, user):
    from oauth2_provider.models import get_access_token_model

    assert get_access_token_model().objects.filter(user=user).exists()

    user_credentials_revoke(user=user, reason="logout_all")

    assert not get_access_token_model().objects.filter(user=user).exists()


def test_logout_all_leaves_other_users_credentials_alone(held, api_key, other_user):
    user_credentials_revoke(user=other_user, reason="logout_all")

    assert still_working(held, api_key) == dict.fromkeys(NONE_WORKS, True)


# --- password change, by every path ----------------------------------------------------------------


def _set_password_and_save(user: User, staff: User) -> None:
    user.set_password(NEW_PASSWORD)
    user.save()


def _hash_assigned_and_saved(user: User, staff: User) -> None:
    user.password = make_password(NEW_PASSWORD)
    user.save()


def _admin_password_form(user: User, staff: User) -> None:
    admin = Client()
    admin.force_login(staff)
    response = admin.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content


def _changepassword_command(user: User, staff: User) -> None:
    # The command reads the password twice from the terminal (getpass); here, from a stand-in.
    with mock.patch.object(changepassword.Command, "_get_pass", return_value=NEW_PASSWORD):
        call_command("changepassword", user.username, stdout=io.StringIO())


PASSWORD_PATHS = {
    "set_password-save": _set_password_and_save,
    "hash-assigned-save": _hash_assigned_and_saved,
    "admin-form": _admin_password_form,
    "changepassword-command": _changepassword_command,
}


@pytest.mark.parametrize("change", PASSWORD_PATHS.values(), ids=PASSWORD_PATHS.keys())
def test_password_change_ends_every_kind_of_credential(held, api_key, user, staff_user, change):
    staff_user.is_superuser = True
    staff_user.save()

    change(User.objects.get(pk=user.pk), staff_user)

    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert still_working(held, api_key) == NONE_WORKS
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.CREDENTIALS_REVOKED, user=user)
    assert event.detail["reason"] == "password_changed"


def test_own_password_change_in_the_admin_keeps_that_browser_session(staff_user):
    here, elsewhere = Client(), Client()
    here.force_login(staff_user)
    elsewhere.force_login(staff_user)

    response = here.post(
        "/admin/password_change/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content
    assert _browser_session_works(here)  # Django's update_session_auth_hash, as it intends
    assert not _browser_session_works(elsewhere)


class ReceiverFailed(Exception):
    pass


def test_password_change_whose_revocation_fails_leaves_the_old_password_and_nothing_ended(held, api_key, user):
    # An app's receiver of credentials_revoking fails: the save that triggered it is undone too,
    # so the new password is never in place while the old credentials still work.
    def failing_receiver(sender, **kwargs):
        raise ReceiverFailed()

    credentials_revoking.connect(failing_receiver, weak=False, dispatch_uid="test-failing-receiver")
    try:
        stored = User.objects.get(pk=user.pk)
        old_hash = stored.password
        stored.set_password("another long passphrase 99")
        with pytest.raises(ReceiverFailed):
            stored.save()
    finally:
        credentials_revoking.disconnect(dispatch_uid="test-failing-receiver")

    assert User.objects.get(pk=user.pk).password == old_hash
    assert still_working(held, api_key) == dict.fromkeys(NONE_WORKS, True)


def test_password_hash_upgrade_at_login_ends_nothing(held, api_key, user, settings):
    # An old hasher's hash: the next successful login re-hashes the same password with Argon2.
    User.objects.filter(pk=user.pk).update(password=make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256"))
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.key_id)

    response = client.post("/api/v1/auth/token", {"username": user.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert User.objects.get(pk=user.pk).password.startswith("argon2")
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.CREDENTIALS_REVOKED).exists()
    assert _session_token_works(held, api_key) and _oauth2_refresh_works(held)


def test_other_changes_to_the_user_end_nothing(held, api_key, user):
    user.email = "new@example.com"
    user.first_name = "Ada"
    user.save()

    assert still_working(held, api_key) == dict.fromkeys(NONE_WORKS, True)


def test_first_password_of_a_user_created_without_one_ends_nothing(db):
    user = User.objects.create(username="late")
    user.set_password(NEW_PASSWORD)
    user.save()

    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.CREDENTIALS_REVOKED).exists()


# --- deactivation and deletion ---------------------------------------------------------------------


def test_deactivation_ends_every_kind_of_credential(held, api_key, user):
    user.is_active = False
    user.save()

    assert still_working(held, api_key) == NONE_WORKS
    assert not LoginSession.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert not RefreshTokenRecord.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_deactivated_user_gets_no_new_token_even_without_the_signal(held, api_key, user):
    User.objects.filter(pk=user.pk).update(is_active=False)  # a bulk write: no receiver runs

    assert still_working(held, api_key) == NONE_WORKS
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.key_id)
    login = client.post("/api/v1/auth/token", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert login.status_code == 401


def test_deactivated_user_cannot_exchange_an_authorization_code(user):
    from tests.oauth.helpers import REDIRECT_URI, authorization_code, make_pkce

    browser = Client()
    browser.force_login(user)
    app = make_application()
    pkce = make_pkce()
    code = authorization_code(browser, app, pkce)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = Client().post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": pkce.verifier,
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_deleted_user_credentials_all_end(held, api_key, user):
    user.delete()

    assert still_working(held, api_key) == NONE_WORKS
