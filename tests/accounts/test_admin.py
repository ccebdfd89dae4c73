"""The admin: create an app and see its credentials once, rotate, revoke, usage chart."""

import re

import pytest
import time_machine
from django.urls import reverse

from accounts import crypto
from accounts.models import ApiClient, ApiKey, AuditEvent, UsageRecord
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _shown_credentials(html: str) -> tuple[str, str]:
    key_id = re.search(r"<th>key_id</th><td><code>([\w-]+)</code>", html).group(1)
    secret = re.search(r"<th>secret</th><td><code>([\w-]+)</code>", html).group(1)
    return key_id, secret


def test_adding_an_app_shows_its_key_once(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_apiclient_add"),
        {
            "name": "Shop",
            "is_active": "on",
            "allowed_user_agents": "[]",
            "throttle_rate": "",
            "signup_proof": "captcha",
            "keys-TOTAL_FORMS": "0",
            "keys-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key_id, secret = _shown_credentials(response.content.decode())
    key = ApiKey.objects.get(client__name="Shop")
    assert key.key_id_digest == crypto.key_id_digest(key_id)
    # The change page afterwards shows neither.
    page = admin_client.get(reverse("admin:accounts_apiclient_change", args=[key.client.pk])).content.decode()
    assert key_id not in page and secret not in page


def test_rotate_action_issues_a_new_key_and_shows_it_once(admin_client, api_key):
    response = admin_client.post(
        reverse("admin:accounts_apiclient_changelist"),
        {"action": "rotate_key", "_selected_action": [api_key.client.pk]},
    )
    key_id, _ = _shown_credentials(response.content.decode())
    assert key_id != api_key.key_id
    assert ApiKey.objects.usable().filter(client=api_key.client).count() == 2


def test_revoke_action_revokes_the_selected_keys(admin_client, api_key):
    admin_client.post(
        reverse("admin:accounts_apikey_changelist"), {"action": "revoke", "_selected_action": [api_key.key.pk]}
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
    html = admin_client.get(reverse("admin:accounts_apiclient_change", args=[api_key.client.pk])).content.decode()
    assert "<svg" in html and "2026-11-20: 7" in html
    assert "cdn" not in html.lower()


def test_app_list_is_searchable_by_name_and_client_id(admin_client, api_key):
    url = reverse("admin:accounts_apiclient_changelist")
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
