"""Writes of the DPoP control: accept a proof's jti once, require DPoP for an app, bind a family."""

import hashlib
import logging
import time
import uuid

from apiproject.counters import fixed_window_hit
from apiproject.exceptions import ServiceUnavailable
from dpop.exceptions import InvalidDPoPProof, ReplayStoreUnavailable
from dpop.models import BoundRefreshFamily, DPoPRequirement
from dpop.proofs import MAX_AGE_SECONDS, Proof

logger = logging.getLogger(__name__)


def proof_jti_accept(*, proof: Proof, now: float | None = None) -> None:
    """Accept the proof's `jti` once per key across every worker, or raise.

    RFC 9449 §11.1: a proof is replayable for as long as its `iat` is acceptable, so the jti
    is kept that long (until `iat` + MAX_AGE_SECONDS, plus a second). One atomic SET NX EX on
    the shared cache both checks and records it (apiproject.counters, the store the signature
    nonces use), so two workers racing with one proof cannot both win; if the store cannot be
    reached the request gets 503: a jti is never accepted unchecked. The same round trip
    counts proofs per key and minute, which nothing reads yet.
    """
    now = time.time() if now is None else now
    # Hashed: a jti may be any string of up to 128 characters; a cache key must be plain.
    jti_digest = hashlib.sha256(proof.jti.encode()).hexdigest()
    try:
        hit = fixed_window_hit(
            f"dpop-proofs:{proof.jkt}",
            period=MAX_AGE_SECONDS,
            claim=f"dpop-jti:{proof.jkt}:{jti_digest}",
            claim_ttl=max(1, int(proof.iat + MAX_AGE_SECONDS - now) + 1),
            now=now,
        )
    except ServiceUnavailable as exc:
        logger.warning("DPoP replay store unavailable: %s", type(exc.__cause__).__name__)
        raise ReplayStoreUnavailable() from exc
    if not hit.claimed:
        raise InvalidDPoPProof("This proof's jti has already been used.")


def dpop_requirement_set(*, client_id: str, required: bool = True) -> None:
    """Require (or stop requiring) DPoP for the app `client_id`: its tokens are then only issued bound."""
    if required:
        DPoPRequirement.objects.get_or_create(client_id=client_id)
    else:
        DPoPRequirement.objects.filter(client_id=client_id).delete()


def refresh_family_bind(*, token_family: uuid.UUID, jkt: str) -> None:
    """Bind an OAuth2 refresh-token family to a DPoP key; a family, once bound, never changes key."""
    BoundRefreshFamily.objects.get_or_create(token_family=token_family, defaults={"jkt": jkt})
