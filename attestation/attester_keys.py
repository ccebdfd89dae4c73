"""The attesters' public keys: one PEM key, or a JWKS fetched with a short timeout and cached."""

import functools
import logging
import time
from typing import Any

import jwt
from django.conf import settings

from attestation.crypto import PUBLIC_KEY_TYPES, public_key_from_pem
from attestation.exceptions import AttesterUnavailable
from attestation.selectors import AttesterRecord

logger = logging.getLogger(__name__)

# When an attester's JWKS fails (timeout, refused, broken), every request naming that client
# would otherwise wait out the timeout again: unauthenticated callers could tie up every sync
# worker with one hanging attester. So a failure is remembered per process for the refetch
# cooldown, and meanwhile the answer is 503 at once. Keyed by URL, which only operators register.
_failed_at: dict[str, float] = {}


@functools.lru_cache(maxsize=256)
def _pem_key(pem: str) -> Any:
    return public_key_from_pem(pem)


@functools.cache
def _jwks_client(url: str, lifespan: int, timeout: float, cooldown: float) -> jwt.PyJWKClient:
    # One per process and URL. PyJWT caches the key set for `lifespan` seconds and, on an
    # unknown kid, refetches once, at most once per `cooldown`: a rotated-in key is found at
    # once, and random kids cannot make this server hammer the attester.
    return jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifespan, timeout=timeout, cooldown_duration=cooldown)


def attester_key(attester: AttesterRecord, kid: str | None) -> Any | None:
    """Return the attester's public key for `kid`, or None if it has none by that id.

    A PEM attester has one key and ignores `kid`. A JWKS attester needs the `kid`; an unknown
    one refetches the set (a key rotated in), and a key rotated out is gone once the set is
    refetched. An unreachable JWKS raises AttesterUnavailable (503) after at most
    ATTESTATION_JWKS_TIMEOUT_SECONDS: the attestation may be genuine, so not a 401.
    """
    if attester.public_key_pem:
        return _pem_key(attester.public_key_pem)
    if kid is None:
        return None
    client = _jwks_client(
        attester.jwks_url,
        settings.ATTESTATION_JWKS_CACHE_SECONDS,
        settings.ATTESTATION_JWKS_TIMEOUT_SECONDS,
        settings.ATTESTATION_JWKS_REFETCH_COOLDOWN_SECONDS,
    )
    failed_at = _failed_at.get(attester.jwks_url)
    if failed_at is not None and time.monotonic() - failed_at < settings.ATTESTATION_JWKS_REFETCH_COOLDOWN_SECONDS:
        raise AttesterUnavailable()
    try:
        key = client.get_signing_key(kid).key
    except jwt.PyJWKClientConnectionError as exc:
        _failed_at[attester.jwks_url] = time.monotonic()
        logger.warning("attester JWKS unavailable: %s", type(exc.__cause__).__name__)
        raise AttesterUnavailable() from exc
    except jwt.PyJWKClientError:
        return None  # no such kid, even after a refetch
    except jwt.PyJWTError as exc:  # a JWKS that is not one (bad JSON, no usable keys)
        _failed_at[attester.jwks_url] = time.monotonic()
        logger.warning("attester JWKS unusable: %s", exc)
        raise AttesterUnavailable() from exc
    _failed_at.pop(attester.jwks_url, None)
    return key if isinstance(key, PUBLIC_KEY_TYPES) else None


def jwks_cache_clear() -> None:
    """Forget the cached JWKS clients and remembered failures of this process (tests)."""
    _jwks_client.cache_clear()
    _failed_at.clear()
