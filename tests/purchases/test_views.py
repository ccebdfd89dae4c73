"""Purchases: only the owner may touch a purchase; others get 403, missing ids 404."""

import pytest
from rest_framework import status

from purchases.models import Purchase
from tests.purchases.factories import PurchaseFactory

pytestmark = pytest.mark.django_db

NEW = {"item": "Book", "quantity": 3, "unit_price": "12.50"}


def test_create_sets_owner_and_total_and_ignores_read_only_fields(user_client, user, other_user):
    payload = {**NEW, "id": 999, "owner": other_user.username, "status": "paid", "total": "1.00"}
    response = user_client.post("/api/v1/purchases/", payload, format="json")
    assert response.status_code == status.HTTP_201_CREATED
    body = response.json()
    assert set(body) == {"id", "item", "quantity", "unit_price", "total", "status", "owner", "created_at"}
    assert body["owner"] == user.username
    assert body["status"] == "pending"
    assert body["total"] == "37.50"
    assert body["id"] != 999
    assert Purchase.objects.get(pk=body["id"]).owner == user


def test_create_with_largest_price_and_quantity_returns_201_with_total(user_client):
    payload = {"item": "Bulk", "quantity": 1_000_000, "unit_price": "9999999999.99"}
    response = user_client.post("/api/v1/purchases/", payload, format="json")
    assert response.status_code == status.HTTP_201_CREATED
    assert response.json()["total"] == "9999999999990000.00"


def test_create_without_trailing_slash_is_not_redirected(user_client):
    response = user_client.post("/api/v1/purchases", NEW, format="json")
    assert response.status_code == status.HTTP_201_CREATED


@pytest.mark.parametrize(
    "payload",
    [
        {**NEW, "quantity": 0},
        {**NEW, "quantity": -1},
        {**NEW, "quantity": "many"},
        {**NEW, "unit_price": "abc"},
        {**NEW, "unit_price": "-1.00"},
        {"item": "", "quantity": 1, "unit_price": "1"},
        {},
    ],
    ids=["zero-quantity", "negative-quantity", "text-quantity", "text-price", "negative-price", "empty-item", "empty"],
)
def test_invalid_purchase_returns_400(user_client, payload):
    response = user_client.post("/api/v1/purchases/", payload, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert Purchase.objects.count() == 0


def test_list_contains_only_callers_purchases(user_client, user, other_user):
    mine = PurchaseFactory.create_batch(2, owner=user)
    PurchaseFactory.create_batch(3, owner=other_user)
    response = user_client.get("/api/v1/purchases/")
    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert body["count"] == 2
    assert {row["id"] for row in body["results"]} == {p.id for p in mine}
    assert set(body) == {"count", "next", "previous", "results"}


def test_page_size_is_capped_at_100(user_client, user):
    PurchaseFactory.create_batch(105, owner=user)
    response = user_client.get("/api/v1/purchases/?page_size=1000")
    assert len(response.json()["results"]) == 100


@pytest.mark.parametrize(
    ("method", "payload"),
    [("get", None), ("put", NEW), ("patch", {"quantity": 2}), ("delete", None)],
    ids=["get", "put", "patch", "delete"],
)
def test_owner_may_use_every_method(user_client, user, method, payload):
    purchase = PurchaseFactory(owner=user)
    response = getattr(user_client, method)(f"/api/v1/purchases/{purchase.pk}/", payload, format="json")
    assert response.status_code in (status.HTTP_200_OK, status.HTTP_204_NO_CONTENT)


@pytest.mark.parametrize(
    ("method", "payload"),
    [("get", None), ("put", NEW), ("patch", {"quantity": 2}), ("delete", None)],
    ids=["get", "put", "patch", "delete"],
)
def test_other_users_purchase_returns_403_for_every_method(user_client, other_user, method, payload):
    purchase = PurchaseFactory(owner=other_user, quantity=1)
    response = getattr(user_client, method)(f"/api/v1/purchases/{purchase.pk}/", payload, format="json")
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json()["code"] == "permission_denied"
    purchase.refresh_from_db()
    assert purchase.quantity == 1


@pytest.mark.parametrize("pk", ["999999", "abc"], ids=["missing", "not-a-number"])
def test_missing_purchase_returns_404(user_client, pk):
    response = user_client.get(f"/api/v1/purchases/{pk}/")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_app_without_user_returns_401(app_client):
    response = app_client.get("/api/v1/purchases/")
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert "WWW-Authenticate" in response


def test_user_without_app_returns_401_client_required(api_client, user):
    api_client.force_login(user)  # a session is exempt (the browsable API) ...
    api_client.credentials(HTTP_AUTHORIZATION="Token whatever")  # ... but this is not a session request
    api_client.logout()
    response = api_client.get("/api/v1/purchases/")
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "client_required"


def test_session_user_of_browsable_api_needs_no_app(api_client, user):
    api_client.force_login(user)
    response = api_client.get("/api/v1/purchases/", HTTP_ACCEPT="text/html")
    assert response.status_code == status.HTTP_200_OK
    assert b"Purchase" in response.content
