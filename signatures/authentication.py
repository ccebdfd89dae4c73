"""RFC 9421 signed requests: the app proves, per request, that it holds its key's secret."""

import logging
import time

from django.conf import settings
from django.http import HttpRequest
from rest_framework import authentication
from rest_framework.request import Request

from apiproject import replay
from apiproject.exceptions import ServiceUnavailable
from apiproject.identity import AppIdentity
from clients.authentication import identify_app
from clients.selectors import api_key_lookup
from clients.throttling import client_nonce_claim_and_count
from signatures import message_signatures as signatures
from signatures.crypto import derive_payload_key
from signatures.exceptions import NonceReused, NonceStoreUnavailable, SignatureRejected

logger = logging.getLogger(__name__)


class HttpSignatureAuthentication(authentication.BaseAuthentication):
    """Identifies the calling app by an RFC 9421 HMAC-SHA256 signature; never authenticates a user.

    Like ApiKeyAuthentication it returns None after recording the app on the request, so a user
    scheme later in the list can authenticate the person; it must come first in the list, so
    that a signed request is never taken for a plain key. On success `request.signature` holds
    the verified signatures.message_signatures.Signature (the JWE parser and renderer use its key).
    """

    scheme_name = "signature"

    def authenticate(self, request: Request) -> None:
        meta = request._request.META
        if "HTTP_SIGNATURE_INPUT" not in meta and "HTTP_SIGNATURE" not in meta:
            return None
        message = request_message(request._request)
        now = time.time()
        max_skew = settings.SIGNATURE_MAX_SKEW_SECONDS
        try:
            signature = signatures.parse_signature(message)
            signatures.check_coverage(signature, message)
            signatures.check_freshness(signature, now=now, max_skew=max_skew)
            record = api_key_lookup(signature.key_id)
            if record is None or not record.is_usable():
                # Unknown, revoked and expired keys read exactly like a wrong secret.
                raise signatures.SignatureInvalid(SignatureRejected.default_detail)
            signatures.verify_signature(signature, message, key=record.secret.encode())
            # After the HMAC: the digest field is now known to be the signer's, and an
            # unauthenticated caller cannot make the server hash large bodies.
            signatures.verify_content_digest(message)
        except signatures.SignatureError as exc:
            raise SignatureRejected(exc.detail, code=exc.code) from exc
        app = identify_app(request, record, scheme=self.scheme_name)
        # Last, so that neither a forged nor a stale request can use up a nonce.
        nonce_accept(request, app, signature, expires_in=int(signature.created + max_skew - now) + 1)
        # The nonce is kept until just past the window's end, reckoned from `now`. A replay that
        # passed the freshness check in the window's last moment and then took longer than that
        # margin to get here finds the nonce gone: the window, checked again, refuses it.
        try:
            signatures.check_freshness(signature, now=time.time(), max_skew=max_skew)
        except signatures.SignatureError as exc:
            raise SignatureRejected(exc.detail, code=exc.code) from exc
        request._request.signature = signature
        return None

    def authenticate_header(self, request: Request) -> str:
        return f'Signature realm="api", alg="{signatures.ALGORITHM}"'


def request_message(request: HttpRequest) -> signatures.Message:
    """Describe the request as the client addressed it, even behind a TLS-terminating proxy.

    The parts are those of request.build_absolute_uri(): request.scheme honours
    SECURE_PROXY_SSL_HEADER and request.get_host() honours USE_X_FORWARDED_HOST (and checks
    ALLOWED_HOSTS), so "@target-uri" is https://api.example.com/... and not the proxy's
    http://10.0.0.5:8000/... . Trust those headers only behind a proxy that overwrites them.
    """
    scheme = request.scheme
    path, has_query, query = request.get_full_path().partition("?")
    return signatures.Message(
        method=request.method,
        scheme=scheme,
        authority=signatures.normalize_authority(scheme, request.get_host()),
        path=path,
        query=query if has_query else None,
        headers=request.headers,
        body=request.body,
    )


def nonce_accept(request: Request, app: AppIdentity, signature: signatures.Signature, *, expires_in: int) -> None:
    """Accept the signature's nonce once per key, across every worker, or raise.

    RFC 9421 §7.2.2: a nonce stops replay inside the freshness window. One atomic operation on
    the shared cache both checks and records it (SET NX EX), so two workers racing with the same
    request cannot both win; it runs in the same round trip as the app's throttle count
    (client_nonce_claim_and_count), and a replay counts nothing. The nonce is kept until the
    signature's `created` leaves the window (`expires_in` seconds); after that
    `check_freshness` refuses the request anyway. A signature created before the replay store's
    epoch (apiproject.replay: it lost its memory then) is refused too. If the store cannot be
    reached the request is refused (503): never accept a nonce unchecked.
    """
    key = replay.claim_key(f"sig-nonce:{app.key_pk}", signature.nonce)
    try:
        claim = client_nonce_claim_and_count(request, app, key=key, ttl=expires_in, issued_at=signature.created)
    except ServiceUnavailable as exc:
        logger.warning("nonce store unavailable: %s", type(exc.__cause__).__name__)
        raise NonceStoreUnavailable() from exc
    if claim is replay.Claim.REUSED:
        raise NonceReused()
    # The store may have lost its memory (a Redis restart) after this nonce was first used.
    if claim is replay.Claim.PREDATES_MEMORY:
        raise NonceReused("This signature predates the replay store's memory; sign the request again.")


def signed_payload_key(request: Request | HttpRequest) -> tuple[str, bytes] | None:
    """Return (key_id, JWE content key) of the key that signed this request, or None if unsigned."""
    signature = getattr(request, "signature", None)
    if signature is None:
        return None
    record = api_key_lookup(signature.key_id)  # warm: the authentication just looked it up
    if record is None:
        return None
    return signature.key_id, derive_payload_key(record.secret, signature.key_id)
