"""Bearer JWTs whose unverified payload is junk: 401 with a JSON body everywhere, never a 500."""

import base64
import json

import pytest

pytestmark = pytest.mark.django_db


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


HEADER = _segment(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": "some-kid"}).encode())

# The four shapes the review found giving 500 at /o/introspect/ (the toolkit's key lookup reads
# the unverified `aud`), and the other shapes that reach the same code.
PAYLOADS = {
    "not_utf8": b"\xff\xfe\xfd",
    "broken_json": b'{"aud": ',
    "nul_in_aud": json.dumps({"aud": "client\x00id"}).encode(),
    "huge_integer_aud": b'{"aud": ' + b"9" * 5000 + b"}",
    "integer_aud": b'{"aud": ' + b"9" * 30 + b"}",
    "not_an_object": b"[1, 2]",
    "a_number": b"123",
    "a_string": b'"aud"',
    "object_aud": b'{"aud": {"client_id": "x"}}',
    "nested_list_aud": b'{"aud": [["x"]]}',
}


def malformed_token(payload: bytes) -> str:
    return f"{HEADER}.{_segment(payload)}.{_segment(b'not-a-signature')}"


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
@pytest.mark.parametrize("path", ["/o/introspect/", "/o/userinfo/", "/api/v1/whoami", "/api/v1/purchases/"])
def test_malformed_bearer_jwt_returns_401_json(client, path, payload):
    token = malformed_token(payload)

    response = client.post(path, {"token": token}, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"]
    body = response.json()
    assert body.get("error") in ("invalid_client", "invalid_token") or body.get("code") == "invalid_token"


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
@pytest.mark.parametrize("path", ["/o/token/", "/o/revoke_token/"])
def test_malformed_bearer_jwt_at_the_token_endpoints_is_a_json_4xx(client, path, payload):
    token = malformed_token(payload)

    response = client.post(
        path,
        {"token": token, "grant_type": "refresh_token", "refresh_token": token},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
