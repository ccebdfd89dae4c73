"""The client certificate a trusted TLS-terminating proxy verified (RFC 9440), and tokens bound to it (RFC 8705 §3).

nginx verifies the client's certificate against the client CA during the TLS handshake and
forwards it in `Client-Cert` as a Structured Field Byte Sequence (`:base64 DER:`), always
overwriting whatever the client sent. The app believes that header only from one of
DJANGO_TRUSTED_PROXIES: anyone else could write it (TrustedProxyHeadersMiddleware deletes it
from other peers; this module checks the peer again, so neither alone is load-bearing).
"""

import hmac
from collections.abc import Mapping
from typing import Any

import http_sf

from apiproject.client_ip import is_trusted, parse_address, trusted_proxies
from transport.crypto import der_thumbprint

HEADER = "HTTP_CLIENT_CERT"
MAX_HEADER_LENGTH = 16 * 1024  # a certificate is 1-2 KB; nginx's own header buffers stop near 8 KB
THUMBPRINT_CLAIM = "x5t#S256"  # RFC 8705 §3.1, in the `cnf` claim (RFC 7800)


class MalformedClientCertificate(ValueError):
    """The proxy's Client-Cert header is not one RFC 9440 Byte Sequence."""


def client_certificate_der(meta: Mapping[str, Any]) -> bytes | None:
    """Return the DER certificate a trusted proxy forwarded in the request `meta`, or None.

    `meta` is a Django request's META (oauthlib's request headers are a copy of it). Raises
    MalformedClientCertificate when a trusted proxy sent a header that is not RFC 9440.
    """
    value = meta.get(HEADER)
    if not value:
        return None
    peer = parse_address(meta.get("REMOTE_ADDR", ""))
    if peer is None or not is_trusted(peer, trusted_proxies()):
        return None
    if len(value) > MAX_HEADER_LENGTH:
        raise MalformedClientCertificate("Client-Cert is too long.")
    try:
        item, _parameters = http_sf.parse(value.encode("latin-1"), tltype="item")
    except (ValueError, UnicodeEncodeError) as exc:
        raise MalformedClientCertificate("Client-Cert is not a Structured Field.") from exc
    if not isinstance(item, bytes) or not item:
        raise MalformedClientCertificate("Client-Cert must be a Byte Sequence (RFC 9440 §2).")
    return item


def client_certificate_thumbprint(meta: Mapping[str, Any]) -> str | None:
    """Return the `x5t#S256` of the request's verified client certificate, or None without one."""
    try:
        der = client_certificate_der(meta)
    except MalformedClientCertificate:
        return None  # nothing can be bound to, or match, a certificate we cannot read
    return der_thumbprint(der) if der is not None else None


def certificate_confirmation(meta: Mapping[str, Any]) -> dict[str, str] | None:
    """Return the `cnf` members binding a token issued to this request to its certificate, or None."""
    thumbprint = client_certificate_thumbprint(meta)
    return {THUMBPRINT_CLAIM: thumbprint} if thumbprint else None


def cnf_thumbprint(claims: Mapping[str, Any]) -> str | None:
    """Return the certificate thumbprint a token is bound to (`cnf.x5t#S256`), or None for an unbound token."""
    confirmation = claims.get("cnf")
    bound = confirmation.get(THUMBPRINT_CLAIM) if isinstance(confirmation, Mapping) else None
    return bound if isinstance(bound, str) or bound is None else ""  # "" : malformed, matches nothing


def certificate_binding_holds(bound: str | None, meta: Mapping[str, Any] | None) -> bool:
    """Return whether a token bound to the certificate `bound` (None: unbound) may be used on this request.

    RFC 8705 §3: a bound token needs the request to come over mutual TLS with the very
    certificate it was issued to.
    """
    if bound is None:
        return True
    presented = client_certificate_thumbprint(meta) if meta is not None else None
    return bool(bound) and presented is not None and hmac.compare_digest(bound, presented)
