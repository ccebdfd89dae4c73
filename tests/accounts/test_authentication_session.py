"""Django's session cookie (the browsable API): exempt from app identity, so CSRF must hold."""

import pytest
from rest_framework import status
from rest_framework.test import APIClient

from purchases.models import Purchase

pytestmark = pytest.mark.django_db

NEW = {"item": "Book", "quantity": 1, "unit_price": "5.00"}


@pytest.fixture
def browser(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_session_read_needs_no_app_key(browser):
    response = browser.get("/api/v1/whoami")
    assert response.status_code == status.HTTP_200_OK
    assert response.json()["schemes"] == ["session"]


def test_session_write_without_csrf_token_returns_403(browser):
    response = browser.post("/api/v1/purchases/", NEW, format="json")
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert "CSRF" in response.json()["detail"]
    assert not Purchase.objects.exists()


def test_session_write_with_an_app_key_still_needs_csrf(browser, api_key):
    response = browser.post("/api/v1/purchases/", NEW, format="json", HTTP_X_API_KEY=api_key.key_id)
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert not Purchase.objects.exists()


def test_session_write_with_csrf_token_succeeds(browser):
    browser.get("/api/v1/purchases/", HTTP_ACCEPT="text/html")  # the browsable API sets the cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post("/api/v1/purchases/", NEW, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == status.HTTP_201_CREATED
