"""Reads of the signup app: whether a person exists, whether an anonymous token is spent."""

import logging

from django.core.cache import caches
from django.db.models import Q

from accounts.models import User
from apiproject.counters import CACHE_ERRORS
from apiproject.exceptions import ServiceUnavailable
from clients.models import ApiClient

logger = logging.getLogger(__name__)


class TokenStoreUnavailable(ServiceUnavailable):
    default_detail = "The signup token store is unavailable; try again later."
    default_code = "token_store_unavailable"


def consumed_token_key(jti: str) -> str:
    """Return the shared-cache key that marks the anonymous token `jti` as spent."""
    return f"signup-token-consumed:{jti}"


def anonymous_token_consumed(*, jti: str) -> bool:
    """Return whether the anonymous token `jti` has been spent; 503 if the store cannot say."""
    try:
        return caches["default"].get(consumed_token_key(jti)) is not None
    except CACHE_ERRORS as exc:
        logger.warning("signup token store unavailable: %s", type(exc).__name__)
        raise TokenStoreUnavailable() from exc


def person_exists(*, email: str | None = None, username: str | None = None) -> bool:
    """Return whether a user has this e-mail address or this username, ignoring case.

    One query whatever the answer: no early return, no second query that runs only when the
    person exists, so the time taken says no more than the boolean. Case is ignored because
    "Alice" and "alice" are the same person to a human, and to whoever would impersonate her.
    """
    if email is None and username is None:
        raise ValueError("person_exists() needs an email or a username")
    lookup = Q()
    if email is not None:
        lookup |= Q(email__iexact=email)
    if username is not None:
        lookup |= Q(username__iexact=username)
    return User.objects.filter(lookup).exists()


def signup_proof_policy(*, client_pk: int) -> str:
    """Return what the app accepts at /api/v1/signup/session (ApiClient.signup_proof)."""
    return ApiClient.objects.values_list("signup_proof", flat=True).get(pk=client_pk)
