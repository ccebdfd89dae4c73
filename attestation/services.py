"""Writes and checks of the attestation app: register an attester, verify an attested request."""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from apiproject import replay
from attestation import crypto
from attestation.attester_keys import attester_key
from attestation.exceptions import InvalidClientAttestation
from attestation.models import ClientAttester
from attestation.selectors import AppKind, AttestedApp, attested_app_cache_clear, attested_app_lookup
from clients.models import ApiClient
from oauth.models import OAuthApplication

logger = logging.getLogger(__name__)

# The two request headers of draft -11 §4 and §5.1, as Django's META names them.
ATTESTATION_HEADER = "HTTP_OAUTH_CLIENT_ATTESTATION"
POP_HEADER = "HTTP_OAUTH_CLIENT_ATTESTATION_POP"


@dataclass(frozen=True, slots=True)
class Attested:
    """A verified client attestation and PoP: the app they name, and the PoP's jti to accept once."""

    app: AttestedApp
    jti_namespace: str  # the replay store's namespace of this client's PoPs
    jti: str
    iat: int  # when the PoP was made: one older than the replay store's memory is refused
    jti_ttl: int  # seconds the jti must be kept: until the PoP's window has passed


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
    attested_app_cache_clear()  # this process at once; the others within API_KEY_CACHE_SECONDS
    return attester


def attestation_headers_present(meta: Mapping[str, str]) -> bool:
    """Return whether a request carries either attestation header (META-style names)."""
    return ATTESTATION_HEADER in meta or POP_HEADER in meta


def attestation_verify(*, meta: Mapping[str, str], kind: AppKind, client_id: str | None, audience: str) -> Attested:
    """Verify the request's attestation and PoP; return what they prove.

    The caller then accepts the PoP's jti once (pop_jti_accept, or in the same round trip as the
    app's throttle count on /api/v1/), last, so that neither a forged nor a stale PoP can use
    one up (draft -11 §12.1).

    `kind` says which apps may be named (API clients on /api/v1/, public OAuth2 applications at
    /o/token/); `client_id` is the one the request names, if any (draft -11 §7.5: it must be
    the attestation's `sub`).
    Raises InvalidClientAttestation (401) for every refusal, AttesterUnavailable (503) when
    the attester's keys cannot be fetched: never accepted unchecked.
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
        app = attested_app_lookup(kind=kind, client_id=subject)
        instance = None
        for attester in app.attesters if app else ():
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
    # Draft -11 §12.1: a jti is remembered for as long as its PoP would be accepted.
    ttl = max(1, int(proof.iat + settings.ATTESTATION_POP_MAX_AGE_SECONDS + 2 * leeway - now) + 1)
    return Attested(app=app, jti_namespace=f"attest-jti:{subject}", jti=proof.jti, iat=proof.iat, jti_ttl=ttl)


def pop_jti_accept(*, attested: Attested) -> None:
    """Accept the PoP's jti once, across every worker, or raise (the replay store, apiproject.replay).

    One atomic SET NX EX takes it, so of two workers racing with one PoP exactly one wins; a PoP
    made before the store last lost its memory (a Redis restart) is refused too. If the store
    cannot be reached the request is refused (503 ReplayStoreUnavailable).
    """
    try:
        claim = replay.nonce_claim(
            replay.claim_key(attested.jti_namespace, attested.jti), ttl=attested.jti_ttl, issued_at=attested.iat
        )
    except replay.ReplayStoreUnavailable as exc:
        logger.warning("attestation replay store unavailable: %s", type(exc.__cause__).__name__)
        raise
    if claim is not replay.Claim.NEW:
        logger.info("client attestation refused: replayed PoP")
        raise InvalidClientAttestation()
