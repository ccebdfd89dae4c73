"""`requests` authentication that signs every request (RFC 9421) and can encrypt its JSON body."""

import datetime
import secrets

import requests
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from apiclient import jose


class HttpSignatureAuth(requests.auth.AuthBase):
    """Signs each request with HMAC-SHA256 over its method, URL and body digest (RFC 9421).

    Every request gets a Content-Digest of its body (RFC 9530), then Signature-Input and
    Signature with `created`, `keyid`, `alg` and a fresh random `nonce`; it covers "@method",
    "@target-uri", "content-digest" when there is a body, and "authorization",
    "content-type" and "accept" when present. With `encrypt=True` the JSON body is first encrypted (JWE,
    application/jose; the digest then covers the JWE) and responses are asked for, and
    decrypted, the same way.
    """

    def __init__(self, key_id: str, secret: str, *, encrypt: bool = False, label: str = "sig1") -> None:
        self.key_id = key_id
        self.encrypt = encrypt
        self.label = label
        self._secret = secret.encode()  # RFC 9421 §3.3.3 with API.md §3: the secret's UTF-8 bytes
        self._signer = HTTPMessageSigner(
            signature_algorithm=algorithms.HMAC_SHA256,
            key_resolver=MappingKeyResolver(private_keys={key_id: self._secret}, public_keys={}),
        )
        self._payload_key = jose.derive_payload_key(secret, key_id)

    def __repr__(self) -> str:
        return f"HttpSignatureAuth(key_id={self.key_id!r}, encrypt={self.encrypt})"  # never the secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.encrypt:
            self.encrypt_body(request)
            request.register_hook("response", self.decrypt_response)
        self.sign(request)
        return request

    def sign(self, request: requests.PreparedRequest) -> bytes:
        """Add the digest and signature headers to a prepared request; return the signature base."""
        body = _body_bytes(request)
        components = ["@method", "@target-uri"]
        # "accept": a request for an encrypted answer must not be rewritten into one for plain JSON.
        components += [name for name in ("authorization", "content-type", "accept") if name in request.headers]
        prepared = self._signer.prepare(
            request,
            key_id=self.key_id,
            created=datetime.datetime.now(tz=datetime.UTC),
            nonce=secrets.token_urlsafe(16),  # 128 random bits: replay protection (RFC 9421 §7.2.2)
            label=self.label,
            covered_component_ids=components,
            body=body or None,  # with a body, the signer adds Content-Digest and covers it
        )
        signature = algorithms.HMAC_SHA256(private_key=self._secret).sign(prepared.signature_base)
        self._signer.apply(request, prepared, signature)
        return prepared.signature_base

    def encrypt_body(self, request: requests.PreparedRequest) -> None:
        """Replace a JSON body by its JWE and ask for an encrypted response."""
        request.headers["Accept"] = jose.MEDIA_TYPE
        body = _body_bytes(request)
        if not body:
            return
        content_type = request.headers.get("Content-Type", "")
        if not content_type.startswith("application/json"):
            raise ValueError(f"encrypt=True encrypts JSON bodies, not {content_type or 'untyped ones'}")
        request.body = jose.encrypt(body, key=self._payload_key, key_id=self.key_id).encode("ascii")
        request.headers["Content-Type"] = jose.MEDIA_TYPE
        request.prepare_content_length(request.body)

    def decrypt_response(self, response: requests.Response, **kwargs) -> requests.Response:
        """Turn an application/jose response back into the JSON the server encrypted."""
        if response.headers.get("Content-Type", "").startswith(jose.MEDIA_TYPE) and response.content:
            plaintext = jose.decrypt(response.text, key=self._payload_key, key_id=self.key_id)
            response._content = plaintext
            response.headers["Content-Type"] = "application/json"
        return response


def _body_bytes(request: requests.PreparedRequest) -> bytes:
    if request.body is None:
        return b""
    if isinstance(request.body, str):
        request.body = request.body.encode("utf-8")
    if not isinstance(request.body, bytes):
        raise TypeError("HttpSignatureAuth signs buffered bodies (bytes or str), not streams or files")
    return request.body
