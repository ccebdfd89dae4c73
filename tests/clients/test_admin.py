"""The admin: create an app and see its credentials once, rotate, revoke, usage chart."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.crypto import key_id_digest
from clients.models import ApiClient, ApiKey, UsageRecord
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _shown_credentials(html: str) -> tuple[str, str]:
    key_id = re.search(r'<code id="key-id">([\w-]+)</code>', html).group(1)
    secret = re.search(r'<code id="secret">([\w-]+)</code>', html).group(1)
    return key_id, secret


NEW_APP = {
    "name": "Shop",
    "is_active": "on",
    "allowed_user_agents": "^ShopApp/\\d+\n\n  ^ShopBot/1  \n",
    "throttle_rate": "",
    "signup_proof": "captcha",
    "keys-TOTAL_FORMS": "0",
    "keys-INITIAL_FORMS": "0",
}


def test_adding_an_app_shows_its_key_once_after_a_redirect(admin_client):
    response = admin_client.post(reverse("admin:clients_apiclient_add"), NEW_APP)

    key = ApiKey.objects.get(client__name="Shop")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:clients_apiclient_new_key", args=[key.client.pk])
    shown = admin_client.get(response["Location"])
    assert "no-store" in shown["Cache-Control"]
    key_id, secret = _shown_credentials(shown.content.decode())
    assert key.key_id_digest == key_id_digest(key_id)
    # A reload shows neither and creates nothing; nor does the change page show them.
    reloaded = admin_client.get(response["Location"]).content.decode()
    assert key_id not in reloaded and secret not in reloaded and 'id="already-shown"' in reloaded
    assert ApiKey.objects.filter(client__name="Shop").count() == 1
    page = admin_client.get(reverse("admin:clients_apiclient_change", args=[key.client.pk])).content.decode()
    assert key_id not in page and secret not in page


def test_pending_key_is_not_in_the_session_in_the_clear(admin_client):
    admin_client.post(reverse("admin:clients_apiclient_add"), NEW_APP)

    stored = admin_client.session["accounts.pending_api_key"]
    location = reverse("admin:clients_apiclient_new_key", args=[ApiClient.objects.get(name="Shop").pk])
    key_id, secret = _shown_credentials(admin_client.get(location).content.decode())
    assert key_id not in stored and secret not in stored


def test_user_agent_rules_are_one_plain_regex_per_line(admin_client):
    admin_client.post(reverse("admin:clients_apiclient_add"), NEW_APP)

    client = ApiClient.objects.get(name="Shop")
    assert client.allowed_user_agents == ["^ShopApp/\\d+", "^ShopBot/1"]
    page = admin_client.get(reverse("admin:clients_apiclient_change", args=[client.pk])).content.decode()
    assert "^ShopApp/\\d+\n^ShopBot/1</textarea>" in page


def test_an_invalid_user_agent_rule_is_refused_with_a_message(admin_client):
    response = admin_client.post(
        reverse("admin:clients_apiclient_add"), {**NEW_APP, "allowed_user_agents": "(unclosed"}
    )

    assert response.status_code == 200
    assert "(unclosed" in response.content.decode() and "errorlist" in response.content.decode()
    assert not ApiClient.objects.filter(name="Shop").exists()


@pytest.mark.parametrize(("overlap", "seconds"), [("now", 0), ("1h", 3600), ("1d", 86400), ("7d", 604800)])
def test_rotate_button_issues_a_new_key_and_gives_the_old_one_its_overlap(admin_client, api_key, overlap, seconds):
    before = timezone.now()
    response = admin_client.post(
        reverse("admin:clients_apiclient_rotate", args=[api_key.client.pk]), {"overlap": overlap}
    )
    after = timezone.now()

    assert response.status_code == 302
    key_id, _ = _shown_credentials(admin_client.get(response["Location"]).content.decode())
    assert key_id != api_key.key_id
    old = ApiKey.objects.get(pk=api_key.key.pk)
    assert before + timedelta(seconds=seconds) <= old.expires_at <= after + timedelta(seconds=seconds)
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.KEY_CREATED).latest("created_at")
    assert event.detail["actor"].startswith("user") and event.ip == "127.0.0.1"  # the staff user, from where


def test_rotate_button_refuses_an_unknown_overlap_and_a_get(admin_client, api_key):
    url = reverse("admin:clients_apiclient_rotate", args=[api_key.client.pk])

    assert admin_client.get(url).status_code == 405
    assert admin_client.post(url, {"overlap": "forever"}).status_code == 302
    assert ApiKey.objects.filter(client=api_key.client).count() == 1


def test_revoke_button_revokes_that_key_and_audits_who(admin_client, api_key):
    response = admin_client.post(
        reverse("admin:clients_apiclient_revoke_key", args=[api_key.client.pk, api_key.key.pk])
    )

    assert response.status_code == 302
    assert ApiKey.objects.get(pk=api_key.key.pk).revoked_at is not None
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.KEY_REVOKED)
    assert event.detail["actor"] and event.ip == "127.0.0.1"


def test_app_page_offers_rotate_and_revoke_buttons(admin_client, api_key):
    html = admin_client.get(reverse("admin:clients_apiclient_change", args=[api_key.client.pk])).content.decode()

    assert 'id="rotate-key"' in html and f'id="revoke-{api_key.key.prefix}"' in html
    for value in ("now", "1h", "1d", "7d"):
        assert f'<option value="{value}"' in html


def test_revoke_action_revokes_the_selected_keys(admin_client, api_key):
    admin_client.post(
        reverse("admin:clients_apikey_changelist"), {"action": "revoke", "_selected_action": [api_key.key.pk]}
    )
    assert ApiKey.objects.get(pk=api_key.key.pk).revoked_at is not None


def test_app_page_draws_calls_per_day_without_external_assets(admin_client, api_key):
    UsageRecord.objects.create(
        client=api_key.client,
        key=api_key.key,
        day="2026-11-20",
        route="api/v1/whoami",
        status_code=200,
        ip="10.0.0.1",
        user_agent="A",
        count=7,
    )
    html = admin_client.get(reverse("admin:clients_apiclient_change", args=[api_key.client.pk])).content.decode()
    assert "<svg" in html and "2026-11-20: 7 calls" in html
    assert ">calls</text>" in html and ">day (UTC)</text>" in html  # labelled axes
    assert "<td><code>api/v1/whoami</code></td><td>7</td>" in html  # by route
    assert "<td>2xx</td><td>7</td>" in html  # by status
    assert "cdn" not in html.lower()


def test_app_list_is_searchable_by_name_and_client_id(admin_client, api_key):
    url = reverse("admin:clients_apiclient_changelist")
    assert api_key.client.client_id in admin_client.get(url, {"q": api_key.client.client_id}).content.decode()
    assert ApiClient.objects.count() == 1


@time_machine.travel("2030-01-01 12:00:00", tick=False)
def test_admin_login_shares_the_login_failure_budget(client, settings):
    staff = UserFactory(is_staff=True, is_superuser=True)
    for _ in range(5):
        response = client.post(reverse("admin:login"), {"username": staff.username, "password": "wrong"})
        assert response.status_code == 200 and "correct username and password" in response.content.decode()
    response = client.post(reverse("admin:login"), {"username": staff.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert AuditEvent.objects.filter(kind="login_failed", username=staff.username).count() == 5


def test_admin_login_refuses_non_staff_even_with_the_right_password(client):
    user = UserFactory()
    response = client.post(reverse("admin:login"), {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
