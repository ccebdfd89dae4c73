"""Chunked request bodies (Transfer-Encoding: chunked): read up to the limit, or refused with 411."""

import io
import json

import pytest
import requests
from rest_framework import status

from accounts.services.login import login_session_create
from apiproject.chunked import ChunkedBodyMiddleware
from purchases.models import Purchase
from tests.accounts.factories import UserFactory
from tests.clients.factories import make_api_client
from tests.helpers import gunicorn_server

PURCHASES = "/api/v1/purchases/"
NEW = {"item": "Chunked book", "quantity": 2, "unit_price": "5.00"}


def _seen_by_django(environ: dict) -> tuple[str | None, bytes, bool]:
    seen = {}

    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        seen.update(length=environ.get("CONTENT_LENGTH"), body=environ["wsgi.input"].read(length))
        seen["te"] = "HTTP_TRANSFER_ENCODING" in environ
        return [b""]

    ChunkedBodyMiddleware(app)(environ, lambda *args: None)
    return seen["length"], seen["body"], seen["te"]


def _environ(body: bytes, *, terminated: bool) -> dict:
    environ = {"REQUEST_METHOD": "POST", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body)}
    if terminated:
        environ["wsgi.input_terminated"] = True
    return environ


def test_chunked_body_from_terminated_input_gets_its_length(settings):
    settings.API_MAX_BODY_BYTES = 10
    assert _seen_by_django(_environ(b"0123456789", terminated=True)) == ("10", b"0123456789", False)


def test_chunked_body_over_the_limit_is_not_read_past_it(settings):
    settings.API_MAX_BODY_BYTES = 10
    environ = _environ(b"x" * 1000, terminated=True)
    assert _seen_by_django(environ) == ("11", b"", False)  # Django then answers 413


def test_chunked_body_without_terminated_input_is_left_for_411():
    assert _seen_by_django(_environ(b"{}", terminated=False)) == (None, b"", True)


def test_chunked_request_django_cannot_read_returns_411(user_client):
    # The test client, like runserver, gives Django no way to find the end of a chunked body.
    response = user_client.generic("POST", PURCHASES, b"", HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == status.HTTP_411_LENGTH_REQUIRED
    assert response.json() == {
        "detail": "A request body needs a Content-Length here (Transfer-Encoding is not accepted).",
        "code": "length_required",
    }
    assert not Purchase.objects.exists()


def _chunks(body: bytes, size: int = 7):
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_chunked_bodies_through_gunicorn_are_read_or_refused_413(settings):
    app = make_api_client()
    user = UserFactory()
    _, token = login_session_create(user=user, client_id=app.client.client_id)
    headers = {"X-Api-Key": app.key_id, "Authorization": f"Token {token}", "Content-Type": "application/json"}
    with gunicorn_server(workers=1, env={"API_MAX_BODY_BYTES": "4096"}) as url:
        # A generator body: requests sends it chunked, with no Content-Length.
        created = requests.post(url + PURCHASES, data=_chunks(json.dumps(NEW).encode()), headers=headers, timeout=20)
        big = json.dumps({**NEW, "item": "x" * 5000}).encode()
        too_big = requests.post(url + PURCHASES, data=_chunks(big, 1000), headers=headers, timeout=20)
    assert created.request.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in created.request.headers
    assert created.status_code == status.HTTP_201_CREATED, created.text
    assert (created.json()["item"], created.json()["quantity"]) == ("Chunked book", 2)
    assert (too_big.status_code, too_big.json()["code"]) == (413, "payload_too_large")
    assert list(Purchase.objects.values_list("item", flat=True)) == ["Chunked book"]
