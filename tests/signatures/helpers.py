"""Sign test requests with the third-party `http-message-signatures` library.

The server's verifier (signatures.message_signatures) is never used to produce the signatures it
checks: a signer written by someone else keeps the tests honest about interoperability.
"""

import datetime
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

import requests
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from rest_framework.test import APIClient

DEFAULT_COMPONENTS = ("@method", "@target-uri")
# Set by the WSGI environment or the test client itself, never sent as HTTP_* headers.
_NOT_FORWARDED = {"content-length", "content-type", "host"}


def sign(
    method: str,
    url: str,
    *,
    key_id: str,
    secret: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    components: Sequence[str] = DEFAULT_COMPONENTS,
    created: datetime.datetime | None = None,
    expires: datetime.datetime | None = None,
    nonce: str | None = "fresh",
    label: str | None = "sig1",
    include_alg: bool = True,
) -> dict[str, str]:
    """Return the request's headers, Signature-Input and Signature (and Content-Digest) included.

    With a body, the signer adds Content-Digest and covers "content-digest". `nonce="fresh"`
    draws a new random nonce; pass None to leave the nonce out.
    """
    request = requests.Request(method, url, data=body or None, headers=headers or {}).prepare()
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=MappingKeyResolver(private_keys={key_id: secret.encode()}, public_keys={}),
    )
    signer.sign(
        request,
        key_id=key_id,
        created=created or datetime.datetime.now(tz=datetime.UTC),
        expires=expires,
        nonce=secrets.token_urlsafe(16) if nonce == "fresh" else nonce,
        label=label,
        include_alg=include_alg,
        covered_component_ids=components,
        body=body or None,
    )
    return dict(request.headers)


def send(
    client: APIClient,
    method: str,
    url: str,
    headers: dict[str, str],
    *,
    body: bytes = b"",
    content_type: str = "application/json",
    **extra: str,
):
    """Send a request built for `url` through DRF's test client, with exactly these headers.

    `extra` sets WSGI environ keys, e.g. HTTP_HOST to make the request arrive through a proxy.
    """
    parts = urlsplit(url)
    forwarded = {name: value for name, value in headers.items() if name.lower() not in _NOT_FORWARDED}
    return client.generic(
        method,
        parts.path + (f"?{parts.query}" if parts.query else ""),
        data=body,
        content_type=content_type,
        secure=parts.scheme == "https",
        headers=forwarded,
        **{"HTTP_HOST": parts.netloc, **extra},
    )
