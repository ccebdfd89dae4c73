"""The OpenAPI document as Swagger UI uses it: security as the server checks it, tags, summaries, examples."""

import io
import json

import pytest
from django.core.management import call_command

from oauth.models import OAuthApplication
from web.views import openapi_schema

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def _operations() -> dict[tuple[str, str], dict]:
    return {
        (method, path): operation
        for path, item in openapi_schema()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def _security(method: str, path: str) -> list[frozenset]:
    return [frozenset(requirement) for requirement in _operations()[(method, path)].get("security", [])]


def test_purchases_need_an_app_and_a_user_except_oauth2_and_the_browser_session():
    security = _security("post", "/api/v1/purchases/")

    assert frozenset({"apiKey", "sessionToken"}) in security
    assert frozenset({"apiKey", "jwt"}) in security
    assert frozenset({"oauth2"}) in security
    assert frozenset({"cookieAuth"}) in security
    # Neither half alone: the server refuses a key without a user, and a JWT without the app.
    for alone in ("apiKey", "httpSignature", "sessionToken", "jwt"):
        assert frozenset({alone}) not in security


def test_whoami_takes_the_app_alone_or_with_a_user():
    security = _security("get", "/api/v1/whoami/")

    assert frozenset({"apiKey"}) in security
    assert frozenset({"apiKey", "jwt"}) in security
    assert frozenset({"jwt"}) not in security


def test_signup_lookups_need_the_app_and_an_anonymous_token():
    security = _security("post", "/api/v1/signup/find-person/")

    assert frozenset({"apiKey", "anonymousToken"}) in security
    assert frozenset({"apiKey"}) not in security and frozenset({"anonymousToken"}) not in security


def test_health_needs_nothing():
    assert _security("get", "/api/v1/health/") == []


def test_operations_are_tagged_by_layer_and_every_one_has_a_summary():
    schema = openapi_schema()
    layer_tags = ["Service", "Apps", "Login sessions", "JWT", "Purchases", "Signup"]

    assert [tag["name"] for tag in schema["tags"]][: len(layer_tags)] == layer_tags
    for (method, path), operation in _operations().items():
        if path.startswith("/api/v1/"):
            assert operation.get("summary"), (method, path)
            assert operation["tags"][0] in layer_tags or not path.startswith(
                ("/api/v1/purchases", "/api/v1/auth", "/api/v1/signup")
            ), (method, path)


def test_every_json_request_body_has_an_example():
    for (method, path), operation in _operations().items():
        content = operation.get("requestBody", {}).get("content", {})
        if path.startswith(("/api/v1/purchases", "/api/v1/auth/token", "/api/v1/signup")) and content:
            assert "example" in content["application/json"], (method, path)


def test_description_names_the_oauth2_endpoints_and_the_signing_client():
    description = openapi_schema()["info"]["description"]

    for endpoint in ("/o/authorize/", "/o/token/", "/o/revoke_token/", "/o/introspect/", "/o/userinfo/"):
        assert endpoint in description
    assert "python -m apiclient" in description


@pytest.mark.django_db
def test_seed_demo_registers_swagger_ui_as_a_public_client_once(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]}
    for _ in range(2):
        out = io.StringIO()
        call_command("seed_demo", "--force", "--json", "--site-url", "http://127.0.0.1:8123", stdout=out)

    app = OAuthApplication.objects.get(client_id=json.loads(out.getvalue())["swagger_client_id"])
    assert app.client_id == "swagger-ui"
    assert (app.client_type, app.authorization_grant_type) == ("public", "authorization-code")
    assert app.redirect_uris == "http://127.0.0.1:8123/api/docs/oauth2-redirect.html"
    assert OAuthApplication.objects.filter(name="Swagger UI").count() == 1


@pytest.mark.django_db
def test_swagger_ui_oauth2_redirect_page_is_served_here_with_its_script(client):
    response = client.get("/api/docs/oauth2-redirect.html?code=abc&state=xyz")

    assert response.status_code == 200
    assert "swagger-ui-dist/oauth2-redirect.js" in response.content.decode()
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert client.get("/api/docs/")["Cross-Origin-Opener-Policy"] == "same-origin"
