"""Encrypted payloads (API.md §3): the JWE format, the key derivation, the parser and renderer."""

import base64
import hashlib
import hmac
import json

import pytest
from jwcrypto import jwe, jwk
from jwcrypto.common import base64url_encode

from apiclient import jose as client_jose
from signatures import jwe as jose
from signatures.crypto import derive_payload_key
from tests.signatures.helpers import send, sign

ECHO = "http://testserver/echo"
PAYLOAD = {"item": "book", "quantity": 2, "unit_price": "9.90"}
KEY = bytes(range(32))


def _hkdf_sha256(ikm: bytes, *, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 written out with hmac, to check the library-based derivation independently."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


# --- Key derivation ---------------------------------------------------------------------------


def test_payload_key_is_hkdf_sha256_of_secret_salted_with_key_id():
    key = derive_payload_key("the-secret", "the-key-id")

    assert key == _hkdf_sha256(b"the-secret", salt=b"the-key-id", info=b"apiproject/jwe/v1", length=32)


def test_payload_keys_differ_per_key_id():
    assert derive_payload_key("s", "key-1") != derive_payload_key("s", "key-2")


def test_client_derives_the_same_payload_key_as_the_server():
    assert client_jose.derive_payload_key("the-secret", "the-key-id") == derive_payload_key("the-secret", "the-key-id")


# --- The JWE format ---------------------------------------------------------------------------


def test_server_reads_what_the_client_encrypts():
    token = client_jose.encrypt(b'{"a": 1}', key=KEY, key_id="k")

    assert jose.decrypt_payload(token, key=KEY, key_id="k") == b'{"a": 1}'


def test_client_reads_what_the_server_encrypts():
    token = jose.encrypt_payload(b'{"a": 1}', key=KEY, key_id="k")

    assert client_jose.decrypt(token, key=KEY, key_id="k") == b'{"a": 1}'


def test_encrypted_payload_has_the_fixed_header_and_a_fresh_iv():
    first, second = (jose.encrypt_payload(b"{}", key=KEY, key_id="k") for _ in range(2))

    header = json.loads(base64.urlsafe_b64decode(first.split(".")[0] + "=="))
    assert header == {"alg": "dir", "enc": "A256GCM", "kid": "k"}
    assert first.split(".")[2] != second.split(".")[2]


def _jwcrypto_token(header: dict, plaintext: bytes = b"{}", key: bytes = KEY, compact: bool = True) -> str:
    token = jwe.JWE(plaintext, protected=json.dumps(header))
    token.add_recipient(jwk.JWK(kty="oct", k=base64url_encode(key)))
    return token.serialize(compact=compact)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a jwe",
        "a.b.c.d.e",
        _jwcrypto_token({"alg": "dir", "enc": "A256GCM", "kid": "k"}, compact=False),
        _jwcrypto_token({"alg": "dir", "enc": "A256GCM", "kid": "other"}),
        _jwcrypto_token({"alg": "dir", "enc": "A128GCM", "kid": "k"}, key=KEY[:16]),
        _jwcrypto_token({"alg": "dir", "enc": "A256CBC-HS512", "kid": "k"}, key=KEY * 2),
        _jwcrypto_token({"alg": "A256KW", "enc": "A256GCM", "kid": "k"}),
        _jwcrypto_token({"alg": "dir", "enc": "A256GCM", "kid": "k", "zip": "DEF"}),
        _jwcrypto_token({"alg": "dir", "enc": "A256GCM", "kid": "k", "crit": ["exp"], "exp": 1}),
        _jwcrypto_token({"alg": "dir", "enc": "A256GCM", "kid": "k"}, key=bytes(32)),
        _jwcrypto_token({"alg": "dir", "enc": "A256GCM", "kid": "k"})[:-4] + "AAAA",
    ],
    ids=[
        "empty",
        "text",
        "not-base64",
        "json-serialization",
        "other-kid",
        "a128gcm",
        "cbc",
        "key-wrap",
        "compressed",
        "critical-extension",
        "other-key",
        "tampered-tag",
    ],
)
def test_unacceptable_jwe_is_refused(token):
    with pytest.raises(jose.PayloadError):
        jose.decrypt_payload(token, key=KEY, key_id="k")


# --- Through DRF: parser and renderer, for signed requests only --------------------------------


def _encrypted_request(
    api_key, payload: dict = PAYLOAD, *, key_id: str | None = None, accept_jose: bool = False
) -> tuple[dict, bytes]:
    """Sign an encrypted body; with `accept_jose`, also ask for (and cover) an encrypted answer."""
    key = client_jose.derive_payload_key(api_key.secret, api_key.key_id)
    body = client_jose.encrypt(json.dumps(payload).encode(), key=key, key_id=key_id or api_key.key_id).encode()
    headers = {"Content-Type": "application/jose", **({"Accept": "application/jose"} if accept_jose else {})}
    components = ("@method", "@target-uri", *(["accept"] if accept_jose else []))
    signed = sign(
        "POST", ECHO, key_id=api_key.key_id, secret=api_key.secret, body=body, headers=headers, components=components
    )
    return signed, body


def _signed_get_accepting_jose(api_key) -> dict:
    """Sign a GET that asks for an encrypted answer and covers that Accept."""
    return sign(
        "GET",
        ECHO,
        key_id=api_key.key_id,
        secret=api_key.secret,
        headers={"Accept": "application/jose"},
        components=("@method", "@target-uri", "accept"),
    )


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_signed_encrypted_body_reaches_the_view_decrypted(api_client, api_key):
    headers, body = _encrypted_request(api_key)

    response = send(api_client, "POST", ECHO, headers, body=body, content_type="application/jose")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["data"] == PAYLOAD


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_signed_request_accepting_jose_gets_an_encrypted_response(api_client, api_key):
    headers, body = _encrypted_request(api_key, accept_jose=True)

    response = send(api_client, "POST", ECHO, headers, body=body, content_type="application/jose")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/jose"
    key = client_jose.derive_payload_key(api_key.secret, api_key.key_id)
    decrypted = json.loads(client_jose.decrypt(response.content.decode(), key=key, key_id=api_key.key_id))
    assert decrypted == {"client": api_key.client.client_id, "data": PAYLOAD}


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_signed_error_response_is_encrypted_too(api_client, api_key):
    headers = _signed_get_accepting_jose(api_key)

    response = send(api_client, "GET", ECHO, headers)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/jose"
    key = client_jose.derive_payload_key(api_key.secret, api_key.key_id)
    error = json.loads(client_jose.decrypt(response.content.decode(), key=key, key_id=api_key.key_id))
    assert error["code"] == "method_not_allowed"


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_unsigned_jose_body_returns_401(app_client, api_key):
    _, body = _encrypted_request(api_key)

    response = app_client.post("/echo", data=body, content_type="application/jose")

    assert response.status_code == 401
    assert response.json()["code"] == "signature_required"
    assert response["WWW-Authenticate"]


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_unsigned_request_accepting_jose_gets_plain_json(app_client):
    response = app_client.post("/echo", data=PAYLOAD, format="json", HTTP_ACCEPT="application/jose")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["data"] == PAYLOAD


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_failed_signature_accepting_jose_gets_plain_json_401(api_client, api_key):
    headers, body = _encrypted_request(api_key, accept_jose=True)

    response = send(
        api_client, "POST", ECHO, {**headers, "Signature": "sig1=:AAAA:"}, body=body, content_type="application/jose"
    )

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "signature_invalid"


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_jwe_for_another_key_returns_400(api_client, api_key):
    headers, body = _encrypted_request(api_key, key_id="someone-else")

    response = send(api_client, "POST", ECHO, headers, body=body, content_type="application/jose")

    assert response.status_code == 400
    assert response.json()["code"] == "payload_undecryptable"


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_jwe_of_non_json_returns_400(api_client, api_key):
    key = client_jose.derive_payload_key(api_key.secret, api_key.key_id)
    body = client_jose.encrypt(b"not json", key=key, key_id=api_key.key_id).encode()
    headers = sign("POST", ECHO, key_id=api_key.key_id, secret=api_key.secret, body=body)

    response = send(api_client, "POST", ECHO, headers, body=body, content_type="application/jose")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
@pytest.mark.parametrize(
    "accept",
    ["application/jose", "application/json;q=0.9, APPLICATION/JOSE", "text/html, application/jose;q=0.1"],
    ids=["alone", "case-and-list", "low-q"],
)
def test_signed_request_asking_jose_without_covering_accept_returns_401(api_client, api_key, accept):
    # An intermediary could rewrite an Accept the signature does not cover, and the encrypted
    # answer the client asked for would come back as plain JSON.
    headers = sign("GET", ECHO, key_id=api_key.key_id, secret=api_key.secret, headers={"Accept": accept})

    response = send(api_client, "GET", ECHO, headers)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"].startswith("Signature")
    assert response.json() == {"detail": 'The signature must also cover "accept".', "code": "signature_incomplete"}


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_covered_accept_rewritten_to_plain_json_returns_401(api_client, api_key):
    # The downgrade itself: the client asked for application/jose and covered it; on the way the
    # header became application/json. The signature no longer matches.
    headers = _signed_get_accepting_jose(api_key)

    response = send(api_client, "GET", ECHO, {**headers, "Accept": "application/json"})

    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"


@pytest.mark.django_db
@pytest.mark.urls("tests.signatures.urls")
def test_signed_request_asking_plain_json_need_not_cover_accept(api_client, api_key):
    headers = sign("GET", ECHO, key_id=api_key.key_id, secret=api_key.secret, headers={"Accept": "application/json"})

    response = send(api_client, "GET", ECHO, headers)

    assert response.status_code == 405  # the echo view's answer to GET: the signature passed
    assert response.json()["code"] == "method_not_allowed"
