"""Django browser sessions: the database keeps a digest of each session key, never the key."""

import hashlib
from importlib import import_module

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from browser_sessions.backend import SessionStore
from browser_sessions.models import BrowserSession
from browser_sessions.selectors import browser_sessions_of_user
from browser_sessions.services import browser_sessions_end
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _admin_login(client: Client, user) -> str:
    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": DEFAULT_PASSWORD, "next": "/admin/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


def test_admin_login_stores_only_the_digest_of_the_session_key(client, staff):
    key = _admin_login(client, staff)
    assert client.get("/admin/").status_code == 200
    assert BrowserSession.objects.get(session_key=_sha256(key)).user == staff
    assert not BrowserSession.objects.filter(session_key=key).exists()
    assert not Session.objects.filter(session_key=key).exists()  # Django's own table is not used


def test_stored_session_keys_sent_as_cookies_sign_nobody_in(client, staff):
    # A copy of the database: every primary key of the session table the engine writes.
    _admin_login(client, staff)
    model = import_module(settings.SESSION_ENGINE).SessionStore.get_model_class()
    stored = list(model.objects.values_list("session_key", flat=True))
    assert stored
    for value in stored:
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = value
        response = thief.get("/admin/")
        assert (response.status_code, response["Location"]) == (302, "/admin/login/?next=/admin/")


def test_login_replaces_the_anonymous_session_row(client, staff):
    # Session fixation: the key a visitor had before signing in stops existing (cycle_key).
    client.get(reverse("admin:login"))
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key
    after = _admin_login(client, staff)
    assert after != before
    assert not BrowserSession.objects.filter(session_key=_sha256(before)).exists()


def test_admin_logout_deletes_the_row(client, staff):
    key = _admin_login(client, staff)
    assert client.post(reverse("admin:logout")).status_code == 200
    assert not BrowserSession.objects.filter(session_key=_sha256(key)).exists()
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("login", "logout"),
    [("/accounts/login/", "/accounts/logout/"), ("/api-auth/login/", "/api-auth/logout/")],
    ids=["oauth2-sign-in-page", "browsable-api"],
)
def test_sign_in_then_browsable_api_then_logout(client, user, login, logout):
    # Both sign-in pages take any active user; the browsable API then knows them by the cookie.
    response = client.post(login, {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert BrowserSession.objects.get(session_key=_sha256(key)).user == user
    whoami = client.get("/api/v1/whoami", HTTP_ACCEPT="application/json")
    assert (whoami.status_code, whoami.json()["user"]) == (200, user.username)
    client.post(logout)
    assert not BrowserSession.objects.filter(session_key=_sha256(key)).exists()
    assert client.get("/api/v1/whoami", HTTP_ACCEPT="application/json").status_code == 401


def test_browser_sessions_end_signs_the_user_out_everywhere_but_the_kept_session(staff):
    laptop, phone, tablet, someone_else = Client(), Client(), Client(), Client()
    for device in (laptop, phone, tablet):
        _admin_login(device, staff)
    _admin_login(someone_else, UserFactory(is_staff=True, is_superuser=True))
    kept = laptop.cookies[settings.SESSION_COOKIE_NAME].value

    assert browser_sessions_of_user(user=staff).count() == 3
    assert browser_sessions_end(user=staff, except_session_key=kept) == 2

    assert laptop.get("/admin/").status_code == 200
    assert phone.get("/admin/").status_code == 302
    assert tablet.get("/admin/").status_code == 302
    assert someone_else.get("/admin/").status_code == 200
    assert browser_sessions_end(user=staff) == 1
    assert laptop.get("/admin/").status_code == 302


def test_deleting_a_user_deletes_their_sessions(client, staff):
    _admin_login(client, staff)
    staff.delete()
    assert not BrowserSession.objects.exists()


def test_unknown_and_malformed_session_cookies_are_anonymous(client):
    for value in ["x" * 32, "", "short", "\u00e9" * 40, "a" * 4000]:
        client.cookies[settings.SESSION_COOKIE_NAME] = value
        assert client.get("/admin/").status_code == 302


def test_async_session_api_stores_and_finds_by_digest_too(staff):
    store = SessionStore()
    store[SESSION_KEY] = str(staff.pk)
    async_to_sync(store.asave)()
    key = store.session_key
    assert BrowserSession.objects.get(session_key=_sha256(key)).user == staff
    again = SessionStore(key)
    assert async_to_sync(again.aload)() == {SESSION_KEY: str(staff.pk)}
    assert async_to_sync(again.aexists)(key) is True
    async_to_sync(again.adelete)()
    assert not BrowserSession.objects.exists()
