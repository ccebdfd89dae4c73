"""The landing page, the API root, the browsable API's Log in, and the headers of every page."""

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from audit.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.purchases.factories import PurchaseFactory
from web.views import openapi_schema

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


def test_landing_page_links_the_api_root_swagger_ui_schema_and_admin(client: Client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    for href in ('href="/api/v1/"', 'href="/api/docs/"', 'href="/api/schema/"', 'href="/admin/"'):
        assert href in html


def test_admin_view_site_goes_to_the_landing_page(client: Client, staff_user):
    client.force_login(staff_user)

    html = client.get("/admin/").content.decode()

    assert 'href="/">View site</a>' in html
    assert client.get("/").status_code == 200


def test_api_root_links_every_route_group(client: Client):
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    links = response.json()
    assert links["purchases"] == "http://testserver/api/v1/purchases"
    assert links["whoami"] == "http://testserver/api/v1/whoami"
    assert {"health", "auth-login", "auth-token", "signup-captcha", "schema", "docs"} <= set(links)


def test_browsable_api_offers_log_in_and_renders_descriptions_as_html(client: Client):
    html = client.get("/api/v1/", **HTML).content.decode()

    assert 'href="/api-auth/login/?next=/api/v1/">Log in</a>' in html
    assert "<strong>Log in</strong>" in html and "**Log in**" not in html


def test_any_active_user_signs_in_to_the_browsable_api_and_is_audited(client: Client, user):
    page = client.get("/api-auth/login/?next=/api/v1/purchases/")
    assert page.status_code == 200

    response = client.post(
        "/api-auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD, "next": "/api/v1/purchases/"}
    )

    assert response.status_code == 302 and response["Location"] == "/api/v1/purchases/"
    assert client.get("/api/v1/whoami", HTTP_ACCEPT="application/json").json() == {
        "user": user.username,
        "client": None,
        "schemes": ["session"],
    }
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_SUCCEEDED, user=user).count() == 1


def test_browsable_api_sign_in_shares_the_login_failure_budget(client: Client, user):
    for _ in range(5):
        client.post("/api-auth/login/", {"username": user.username, "password": "wrong"})

    response = client.post("/api-auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200  # the form again, with the error
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_FAILED).count() == 5


def test_browsable_api_log_out_ends_the_session(client: Client, user):
    client.force_login(user)

    response = client.post("/api-auth/logout/")

    assert response.status_code == 302
    assert client.get("/api/v1/whoami", HTTP_ACCEPT="application/json").status_code == 401


def test_no_delete_or_put_form_on_another_users_purchase(client: Client, user, other_user):
    theirs, mine = PurchaseFactory(owner=other_user), PurchaseFactory(owner=user)
    client.force_login(user)

    refused = client.get(f"/api/v1/purchases/{theirs.pk}/", **HTML)
    allowed = client.get(f"/api/v1/purchases/{mine.pk}/", **HTML)

    assert refused.status_code == 403
    assert 'data-target="#deleteModal"' not in refused.content.decode()
    assert 'name="item"' not in refused.content.decode()
    assert allowed.status_code == 200
    assert 'data-target="#deleteModal"' in allowed.content.decode()


def test_signed_out_list_offers_no_post_form(client: Client):
    response = client.get("/api/v1/purchases/", **HTML)

    assert response.status_code in (401, 403)
    assert 'name="item"' not in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/", "/api/v1/", "/api-auth/login/", "/admin/login/", "/accounts/login/", "/api/docs/"],
    ids=["landing", "api-root", "api-auth-login", "admin-login", "oauth-sign-in", "swagger-ui"],
)
def test_every_html_page_carries_a_content_security_policy(client: Client, path):
    response = client.get(path, **HTML)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_swagger_ui_page_has_no_inline_script(client: Client):
    html = client.get("/api/docs/").content.decode()

    assert "<script>" not in html
    assert '<script src="/api/docs/?script="></script>' in html


def test_personal_json_is_not_stored(user_client):
    for path in ("/api/v1/whoami", "/api/v1/purchases/", "/api/v1/auth/sessions"):
        assert user_client.get(path)["Cache-Control"] == "no-store", path


def test_credentials_are_not_stored(app_client, user):
    response = app_client.post("/api/v1/auth/token", {"username": user.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_public_json_may_be_cached(client: Client):
    assert "Cache-Control" not in client.get("/api/v1/health")


def test_schema_is_generated_once_not_per_request(client: Client, monkeypatch):
    openapi_schema.cache_clear()
    built = []
    original = SchemaGenerator.get_schema
    monkeypatch.setattr(
        SchemaGenerator, "get_schema", lambda self, *a, **kw: built.append(1) or original(self, *a, **kw)
    )

    first = client.get("/api/schema/?format=json")
    second = client.get("/api/schema/?format=json&version=x&lang=de")

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(built) == 1
