"""Requests signed by third-party RFC 9421 clients, sent over real HTTP, are accepted (API.md §3).

The two PyPI libraries named by the contract sign with their own defaults; these tests use
exactly the settings this API needs (HMAC-SHA256, the key id, a nonce) and nothing more.
"""

import datetime
import json
import secrets

import pytest
import requests
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from requests_http_signature import HTTPSignatureAuth

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.signatures.urls")]

PAYLOAD = {"item": "book", "quantity": 2}


def requests_http_signature_auth(api_key, **options) -> HTTPSignatureAuth:
    return HTTPSignatureAuth(
        signature_algorithm=algorithms.HMAC_SHA256,
        key=api_key.secret.encode(),
        key_id=api_key.key_id,
        use_nonce=True,
        **options,
    )


# --- requests-http-signature ------------------------------------------------------------------


def test_requests_http_signature_get_is_accepted(live_server, api_key):
    response = requests.get(f"{live_server.url}/api/v1/whoami", auth=requests_http_signature_auth(api_key), timeout=10)

    assert response.status_code == 200, response.text
    assert response.json() == {"user": None, "client": api_key.client.client_id, "schemes": ["signature"]}


def test_requests_http_signature_post_with_body_is_accepted(live_server, api_key):
    response = requests.post(
        f"{live_server.url}/echo", json=PAYLOAD, auth=requests_http_signature_auth(api_key), timeout=10
    )

    assert response.status_code == 200, response.text
    assert "content-digest" in response.request.headers["Signature-Input"]
    assert response.json()["data"] == PAYLOAD


def test_requests_http_signature_with_query_and_expiry_is_accepted(live_server, api_key):
    auth = requests_http_signature_auth(
        api_key,
        covered_component_ids=("@method", "@authority", "@path", "@query"),
        expires_in=datetime.timedelta(seconds=30),
    )

    response = requests.get(f"{live_server.url}/api/v1/whoami?page=2", auth=auth, timeout=10)

    assert response.status_code == 200, response.text


def test_requests_http_signature_without_nonce_returns_401(live_server, api_key):
    auth = requests_http_signature_auth(api_key)
    auth.use_nonce = False  # the library's default

    response = requests.get(f"{live_server.url}/api/v1/whoami", auth=auth, timeout=10)

    assert response.status_code == 401
    assert response.json()["code"] == "signature_malformed"


def test_requests_http_signature_replayed_returns_401(live_server, api_key):
    first = requests.get(f"{live_server.url}/api/v1/whoami", auth=requests_http_signature_auth(api_key), timeout=10)

    replay = requests.Session().send(first.request, timeout=10)

    assert replay.status_code == 401
    assert replay.json()["code"] == "nonce_reused"


# --- http-message-signatures ------------------------------------------------------------------


def _sign_with_http_message_signatures(request: requests.PreparedRequest, api_key, components, body=None) -> None:
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=MappingKeyResolver(private_keys={api_key.key_id: api_key.secret.encode()}, public_keys={}),
    )
    signer.sign(
        request,
        key_id=api_key.key_id,
        created=datetime.datetime.now(tz=datetime.UTC),
        nonce=secrets.token_urlsafe(16),
        covered_component_ids=components,
        body=body,
    )


def test_http_message_signatures_get_is_accepted(live_server, api_key):
    request = requests.Request("GET", f"{live_server.url}/api/v1/whoami").prepare()
    _sign_with_http_message_signatures(request, api_key, ("@method", "@target-uri"))

    response = requests.Session().send(request, timeout=10)

    assert response.status_code == 200, response.text
    assert response.json()["schemes"] == ["signature"]


def test_http_message_signatures_post_with_digest_is_accepted(live_server, api_key):
    body = json.dumps(PAYLOAD).encode()
    request = requests.Request(
        "POST", f"{live_server.url}/echo", data=body, headers={"Content-Type": "application/json"}
    ).prepare()
    _sign_with_http_message_signatures(request, api_key, ("@method", "@authority", "@path", "content-type"), body=body)

    response = requests.Session().send(request, timeout=10)

    assert response.status_code == 200, response.text
    assert response.json()["data"] == PAYLOAD


def test_http_message_signatures_post_with_changed_body_returns_401(live_server, api_key):
    body = json.dumps(PAYLOAD).encode()
    request = requests.Request(
        "POST", f"{live_server.url}/echo", data=body, headers={"Content-Type": "application/json"}
    ).prepare()
    _sign_with_http_message_signatures(request, api_key, ("@method", "@target-uri"), body=body)
    request.prepare_body(json.dumps({**PAYLOAD, "quantity": 200}).encode(), None)

    response = requests.Session().send(request, timeout=10)

    assert response.status_code == 401
    assert response.json()["code"] == "digest_mismatch"
