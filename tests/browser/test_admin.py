"""The admin in chromium: an app's whole life (create, secret once, reload, rotate with overlap, revoke)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import ApiClient, ApiKey, UsageRecord
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.browser.helpers import Browser

pytestmark = pytest.mark.browser


def test_app_lifecycle_in_the_admin(browser: Browser):
    staff = UserFactory(is_staff=True, is_superuser=True)
    browser.get("/admin/")
    browser.fill({"username": staff.username, "password": DEFAULT_PASSWORD})
    browser.click("input[type=submit]")
    browser.find_text("Site administration", "h1")
    assert browser.find("#user-tools a[href='/']").text.upper() == "VIEW SITE"

    browser.get("/admin/clients/apiclient/add/")
    browser.fill({"name": "Browser shop", "allowed_user_agents": "^ShopApp/\\d+\n^ShopBot/1"})
    browser.screenshot("add-app")
    browser.click("input[name=_save]")
    first_key_id = browser.find("#key-id").text
    browser.find("#secret")
    browser.screenshot("secret-shown-once")
    new_key_url = browser.driver.current_url

    browser.driver.refresh()
    browser.find("#already-shown")
    browser.screenshot("reload-shows-nothing")
    client = ApiClient.objects.get(name="Browser shop")
    assert client.keys.count() == 1
    assert client.allowed_user_agents == ["^ShopApp/\\d+", "^ShopBot/1"]

    first_key = client.keys.get()
    UsageRecord.objects.create(
        client=client, key=first_key, day=timezone.now().date() - timedelta(days=1), route="api/v1/whoami",
        status_code=200, ip="127.0.0.1", user_agent="ShopApp/1", count=5,
    )  # fmt: skip
    browser.get(f"/admin/clients/apiclient/{client.pk}/change/")
    browser.find_text("By route", "h4")
    browser.screenshot("app-page-with-usage")
    browser.find("#id_overlap").send_keys("in 1 hour")
    browser.click("#rotate-key")
    second_key_id = browser.find("#key-id").text
    browser.screenshot("rotated-secret")
    assert second_key_id != first_key_id and browser.driver.current_url == new_key_url
    first_key.refresh_from_db()
    assert timezone.now() + timedelta(minutes=50) < first_key.expires_at <= timezone.now() + timedelta(hours=1)

    browser.click("a[href$='/change/']")
    browser.click(f"#revoke-{first_key.prefix}")
    browser.find_text("Revoked key", ".messagelist")
    browser.screenshot("revoked")
    first_key.refresh_from_db()
    assert first_key.revoked_at is not None
    assert ApiKey.objects.usable().filter(client=client).count() == 1
    actors = AuditEvent.objects.filter(client_id=client.client_id).values_list("kind", "detail__actor")
    assert sorted(actors) == [("key_created", staff.username)] * 2 + [("key_revoked", staff.username)]
    assert browser.csp_violations() == []
    assert browser.console_errors() == []
