"""Writes of the DPoP control: accept a proof's jti once, require DPoP for an app, bind a family."""

import logging
import time
import uuid

from django.http import HttpRequest
from rest_framework.request import Request

from apiproject import replay
from apiproject.counters import Rider
from apiproject.exceptions import ServiceUnavailable
from apiproject.identity import request_app
from clients.throttling import client_nonce_claim_and_count
from dpop.exceptions import InvalidDPoPProof, ReplayStoreUnavailable
from dpop.models import BoundRefreshFamily, DPoPRequirement
from dpop.proofs import MAX_AGE_SECONDS, Proof

logger = logging.getLogger(__name__)


def proof_jti_accept(
    *, proof: Proof, request: Request | HttpRequest | None = None, now: float | None = None, rider: Rider | None = None
) -> None:
    """Accept the proof's `jti` once per key across every worker, or raise.

    RFC 9449 §11.1: a proof is replayable for as long as its `iat` is acceptable, so the jti
    is kept that long (until `iat` + MAX_AGE_SECONDS, plus a second). One atomic SET NX EX on
    the shared cache both checks and records it (apiproject.replay, the store the signature
    nonces use), so two workers racing with one proof cannot both win; if the store cannot be
    reached the request gets 503: a jti is never accepted unchecked.

    When the request names an app not yet counted, the claim rides in the same round trip as
    the app's throttle count (as a signature's nonce does), and ClientRateThrottle reuses that
    count. Otherwise (the OAuth2 token endpoint, or a signed request whose nonce took that
    trip) it is a round trip of its own. Either way, a `rider`'s commands go in it (the token's
    user, accounts.user_cache).
    """
    now = time.time() if now is None else now
    # Hashed (claim_key): a jti may be any string of up to 128 characters; a cache key must be plain.
    key = replay.claim_key(f"dpop-jti:{proof.jkt}", proof.jti)
    ttl = max(1, int(proof.iat + MAX_AGE_SECONDS - now) + 1)
    app = request_app(request) if isinstance(request, Request) else None
    try:
        if app is not None and app.counted is None:
            claim = client_nonce_claim_and_count(request, app, key=key, ttl=ttl, issued_at=proof.iat, rider=rider)
        else:
            claim = replay.nonce_claim(key, ttl=ttl, issued_at=proof.iat, rider=rider)
    except ServiceUnavailable as exc:
        logger.warning("DPoP replay store unavailable: %s", type(exc.__cause__).__name__)
        raise ReplayStoreUnavailable() from exc
    if claim is replay.Claim.REUSED:
        raise InvalidDPoPProof("This proof's jti has already been used.")
    # The store may have lost its memory (a Redis restart) after this proof was first used.
    if claim is replay.Claim.PREDATES_MEMORY:
        raise InvalidDPoPProof("This proof predates the replay store's memory; make a new one.")


def dpop_requirement_set(*, client_id: str, required: bool = True) -> None:
    """Require (or stop requiring) DPoP for the app `client_id`: its tokens are then only issued bound."""
    if required:
        DPoPRequirement.objects.get_or_create(client_id=client_id)
    else:
        DPoPRequirement.objects.filter(client_id=client_id).delete()


def refresh_family_bind(*, token_family: uuid.UUID, jkt: str) -> None:
    """Bind an OAuth2 refresh-token family to a DPoP key; a family, once bound, never changes key."""
    BoundRefreshFamily.objects.get_or_create(token_family=token_family, defaults={"jkt": jkt})
