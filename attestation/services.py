"""Writes and checks of the attestation app: register an attester, verify an attested request."""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from jwcrypto import jwk

from accounts.models import ApiClient, OAuthApplication
from apiproject import replay
from attestation import crypto
from attestation.exceptions import InvalidClientAttestation, ReplayStoreUnavailable
from attestation.keys import attester_key
from attestation.models import ClientAttester

logger = logging.getLogger(__name__)

# The two request headers of draft -11 §4 and §5.1, as Django's META names them.
ATTESTATION_HEADER = "HTTP_OAUTH_CLIENT_ATTESTATION"
POP_HEADER = "HTTP_OAUTH_CLIENT_ATTESTATION_POP"


@dataclass(frozen=True, slots=True)
class Attested:
    """A verified client attestation: the client it names and the instance key that proved it."""

    client_id: str
    instance_jkt: str  # RFC 7638 thumbprint of cnf.jwk: which installed copy of the app


def client_attester_add(
    *, client_id: str, jwks_url: str | None = None, public_key_pem: str | None = None
) -> ClientAttester:
    """Register an attester for an API client or an OAuth2 public application; return it.

    Raises ValidationError for an unknown client_id, a confidential OAuth2 application (it has
    a secret; attestation is the public client's alternative to one), or a key that is not an
    asymmetric public key.
    """
    attester = ClientAttester(jwks_url=jwks_url or "", public_key_pem=public_key_pem or "")
    if api_client := ApiClient.objects.filter(client_id=client_id).first():
        attester.api_client = api_client
    elif application := OAuthApplication.objects.filter(client_id=client_id).first():
        attester.application = application
    else:
        raise ValidationError(f"No API client or OAuth2 application has the client_id {client_id!r}.")
    attester.full_clean()  # one key source, a public key, a public client, the URL's scheme
    attester.save()
    return attester


def attestation_headers_present(meta: Mapping[str, str]) -> bool:
    """Return whether a request carries either attestation header (META-style names)."""
    return ATTESTATION_HEADER in meta or POP_HEADER in meta


def attestation_verify(
    *, meta: Mapping[str, str], attesters: QuerySet[ClientAttester], client_id: str | None, audience: str
) -> Attested:
    """Verify the request's attestation and PoP and accept its jti once; return what they prove.

    `attesters` are the registered attesters of the app the attestation may name (filtered by
    the caller: API clients for /api/v1/, public OAuth2 applications for /o/token/); `client_id`
    is the one the request names, if any (draft -11 §7.5: it must be the attestation's `sub`).
    Raises InvalidClientAttestation (401) for every refusal, AttesterUnavailable or
    ReplayStoreUnavailable (503) when a check cannot be made: never accepted unchecked.
    """
    now = time.time()
    leeway = settings.ATTESTATION_CLOCK_SKEW_SECONDS
    try:
        attestation = crypto.compact_jws(meta.get(ATTESTATION_HEADER), name="OAuth-Client-Attestation")
        pop = crypto.compact_jws(meta.get(POP_HEADER), name="OAuth-Client-Attestation-PoP")
        subject = crypto.unverified_subject(attestation)
        if client_id is not None and client_id != subject:
            raise crypto.AttestationError("the attestation names another client")
        kid = crypto.unverified_header(attestation, typ=crypto.ATTESTATION_TYP).get("kid")
        instance = None
        for attester in attesters.filter(_client_id_filter(subject)):
            key = attester_key(attester, kid)
            if key is not None:
                instance = crypto.attestation_instance_key(attestation, key=key, client_id=subject, leeway=leeway)
                break
        if instance is None:
            raise crypto.AttestationError("no registered attester of this client has this key")
        proof = crypto.verified_pop(
            pop,
            key=instance,
            client_id=subject,
            audience=audience,
            now=now,
            max_age=settings.ATTESTATION_POP_MAX_AGE_SECONDS,
            leeway=leeway,
        )
    except crypto.AttestationError as exc:
        logger.info("client attestation refused: %s", exc)
        raise InvalidClientAttestation() from exc
    # Last, so that neither a forged nor a stale PoP can use up a jti.
    pop_jti_accept(client_id=subject, proof=proof, now=now)
    return Attested(client_id=subject, instance_jkt=instance_thumbprint(instance))


def _client_id_filter(client_id: str) -> Q:
    return Q(api_client__client_id=client_id, api_client__is_active=True) | Q(application__client_id=client_id)


def pop_jti_accept(*, client_id: str, proof: crypto.VerifiedPoP, now: float) -> None:
    """Accept a PoP's jti once per client, across every worker, or raise.

    Draft -11 §12.1: the server keeps the jti values it has seen for as long as the PoP would be
    accepted (its iat plus the window). One atomic claim on the replay store (Redis: SET NX EX)
    checks and records it, so of two workers racing with one PoP exactly one wins. If the cache
    cannot be reached the request is refused (503).
    """
    ttl = int(proof.iat + settings.ATTESTATION_POP_MAX_AGE_SECONDS + 2 * settings.ATTESTATION_CLOCK_SKEW_SECONDS - now)
    try:
        # apiproject.replay: also refuses a PoP issued before the store last lost its memory
        # (a Redis restart), and never evicts a live jti from the in-process store.
        first_use = replay.nonce_claim(
            namespace=f"attest-jti:{client_id}", value=proof.jti, ttl=max(1, ttl + 1), issued_at=proof.iat
        )
    except replay.ReplayStoreUnavailable as exc:
        logger.warning("attestation replay store unavailable: %s", type(exc.__cause__).__name__)
        raise ReplayStoreUnavailable() from exc
    if not first_use:
        logger.info("client attestation refused: replayed PoP")
        raise InvalidClientAttestation()


def instance_thumbprint(key: jwt.PyJWK) -> str:
    """Return the RFC 7638 SHA-256 thumbprint of the instance key, base64url (as DPoP's jkt)."""
    return jwk.JWK.from_pyca(key.key).thumbprint()
