"""Health, readiness, error format, body limit, schema and docs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework import status


@pytest.mark.django_db
def test_health_returns_ok_without_database(api_client):
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/health")
    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/health/"], ids=["no-slash", "slash"])
def test_health_answers_with_and_without_trailing_slash(api_client, path):
    assert api_client.get(path).status_code == status.HTTP_200_OK


@pytest.mark.django_db
def test_ready_checks_database_and_cache(api_client):
    response = api_client.get("/api/v1/health/ready")
    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_returns_503_when_cache_is_down(api_client, cache_down):
    cache_down()
    response = api_client.get("/api/v1/health/ready")
    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["code"] == "cache_unavailable"


@pytest.mark.django_db
def test_body_over_limit_returns_413(app_client, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = app_client.post("/api/v1/purchases/", data="x" * 1001, content_type="application/json")
    assert response.status_code == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    assert response.json() == {"detail": "Request body is too large.", "code": "payload_too_large"}


@pytest.mark.django_db
def test_malformed_json_returns_400_with_code(user_client):
    response = user_client.post("/api/v1/purchases/", data="{not json", content_type="application/json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "parse_error"


def test_unknown_api_route_returns_json_404(client, settings):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.django_db
def test_schema_lists_every_api_route(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == status.HTTP_200_OK
    paths = response.json()["paths"]
    for path in ["/api/v1/health", "/api/v1/whoami", "/api/v1/purchases", "/api/v1/purchases/{id}"]:
        assert any(p.rstrip("/") == path for p in paths), path


@pytest.mark.django_db
def test_swagger_ui_is_served_without_a_cdn(api_client):
    response = api_client.get(reverse("swagger-ui"))
    assert response.status_code == status.HTTP_200_OK
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html


@pytest.mark.django_db
def test_deeply_nested_json_returns_400_not_500(app_client):
    response = app_client.post("/api/v1/auth/token", data="[" * 100_000, content_type="application/json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "٣"], ids=["letters", "negative", "exponent", "arabic-digit"])
def test_malformed_content_length_returns_400(client, length):
    response = client.generic("POST", "/api/v1/whoami", b"{}", content_type="application/json", CONTENT_LENGTH=length)
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "invalid_content_length"


def test_disallowed_host_under_api_returns_json_400(client):
    response = client.get("/api/v1/health", HTTP_HOST="evil.example")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "bad_request"


@pytest.mark.django_db
def test_unknown_admin_page_keeps_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response["Content-Type"].startswith("text/html")
