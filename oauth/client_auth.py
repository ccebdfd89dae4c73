"""Client authentication at /o/token/, /o/revoke_token/ and /o/introspect/: failure budgets checked before hashing."""

import base64
import binascii
import functools
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage
from rest_framework import exceptions

from apiproject.client_ip import client_ip, ip_limit_key
from apiproject.counters import CACHE_ERRORS
from apiproject.exceptions import ServiceUnavailable
from apiproject.handlers import error_response
from oauth.hashers import generate_client_secret

FAST_HASHER = "client_secret_hmac_sha256"  # oauth.hashers.ClientSecretHasher


class TooManyClientAuthentications(exceptions.Throttled):
    default_detail = "Too many failed client authentications; try again later."
    default_code = "too_many_attempts"


def basic_authorization(request: HttpRequest) -> str | None:
    """Return the value of `Authorization: Basic <value>` at /o/, or None without one.

    Not apiproject.authorization: the toolkit parses this header itself, after the checks that
    read it here (the failure budgets, the NUL refusal), and splits it at the first space rather
    than at any whitespace. So the value is everything after `Basic ` (any case), unsplit.
    """
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    return authorization[6:] if authorization[:6].lower() == "basic " else None


class PresentedCredentials(NamedTuple):
    client_id: str
    secret: str
    basic: bool  # from Authorization: Basic, else from the form body


def presented_credentials(request: HttpRequest) -> PresentedCredentials:
    """Return the one (client_id, client_secret) a request authenticates with, Basic or form body.

    The failure budgets count against this client_id, so it must be the client whose secret is
    then checked. django-oauth-toolkit reads Basic its own way (`split(" ", 1)`, exactly
    `Basic`, lenient base64; OAuth2Validator._extract_basic_auth and _authenticate_basic_auth)
    and, when Basic fails, tries the form body. So a Basic header (any case, as
    basic_authorization reads it) counts only in the one form both read alike: `Basic`, one
    space, strict base64 of `client_id:secret`. Any other reads as no client (client_id ""),
    which oauth.validators refuses as invalid_client without the toolkit reading it; and a Basic
    request is checked by Basic alone, never by the body (RFC 6749 §2.3: one method a request).
    """
    value = basic_authorization(request)
    if value is None:
        return PresentedCredentials(request.POST.get("client_id", ""), request.POST.get("client_secret", ""), False)
    unreadable = PresentedCredentials("", "", True)
    if not request.META.get("HTTP_AUTHORIZATION", "").startswith("Basic "):
        return unreadable  # `basic`, `BASIC`: the toolkit would skip it and read the body
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, ValueError):
        return unreadable  # the toolkit's lenient base64 might read a client_id out of it
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return unreadable  # the toolkit would fail Basic and read the body
    return PresentedCredentials(unquote_plus(client_id), unquote_plus(secret), True)  # RFC 6749 §2.3.1


def _budgets(client_id: str) -> list[tuple[str, Callable[[str, HttpRequest], str], str]]:
    # Per IP, IPv6 by its /64 (apiproject.client_ip); per client_id as presented, bounded.
    return [
        (
            "oauth2-client-auth:client",
            lambda group, request: client_id[:255],
            settings.OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT,
        ),
        (
            "oauth2-client-auth:ip",
            lambda group, request: ip_limit_key(client_ip(request)),
            settings.OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_IP,
        ),
    ]


def _usage(request: HttpRequest, group: str, key, rate: str, *, increment: bool) -> dict | None:
    try:
        return get_usage(request, group=group, key=key, rate=rate, increment=increment)
    except CACHE_ERRORS as exc:  # a limit that cannot be checked is not skipped
        raise ServiceUnavailable("The rate-limit store is unavailable.", code="rate_limit_store_unavailable") from exc


def client_auth_budget_check(*, request: HttpRequest, client_id: str) -> None:
    """Raise 429 (TooManyClientAuthentications) if this client_id or this IP has spent its failure budget.

    Called before any secret is hashed, so a flood of wrong secrets costs cache reads, not
    Argon2 runs. Only failures are counted (client_auth_failure_record): a resource server
    that introspects on every request must not run out. Reading first and counting after the
    check lets at most one extra attempt per concurrent worker through at the edge of a window;
    with the fast hash of generated secrets that is microseconds, not a denial of service.
    """
    wait = 0
    for group, key, rate in _budgets(client_id):
        usage = _usage(request, group, key, rate, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            wait = max(wait, usage["time_left"] + 1)
    if wait:
        raise TooManyClientAuthentications(wait=wait)


def verifies_cheaply(*, encoded: str, secret: str) -> bool:
    """Return whether `secret` matches a stored secret that is fast to check (a generated one).

    The failure budgets exist because Argon2 is slow and a chosen secret may be guessed. A
    generated secret is neither: it is checked with one HMAC and has 256 random bits. So over
    budget, its rightful client still gets in: somebody else's wrong secrets from the same IP,
    or aimed at the same client_id, must not lock it out. Nothing slow runs here.
    """
    return encoded.startswith(f"{FAST_HASHER}$") and check_password(secret, encoded)


def client_auth_failure_record(*, request: HttpRequest, client_id: str) -> None:
    """Count one failed client authentication against the client_id's and the IP's budgets."""
    for group, key, rate in _budgets(client_id):
        _usage(request, group, key, rate, increment=True)


@functools.cache
def _dummy_encoded_secret() -> str:
    return make_password(generate_client_secret(), hasher=FAST_HASHER)


def dummy_secret_check(secret: str) -> None:
    """Hash `secret` as a known client's generated secret would be, and throw the answer away.

    An unknown client_id then costs the same time as a known one with a wrong secret, so timing
    does not tell an attacker which client_ids exist (API.md §6).
    """
    check_password(secret, _dummy_encoded_secret())


def answer_client_auth_limits(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer a spent failure budget (429) or an unreachable limit store (503) as the contract's JSON.

    The toolkit's views are plain Django views, so DRF's exception handler never sees these.
    """

    @functools.wraps(view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (TooManyClientAuthentications, ServiceUnavailable) as exc:
            response = error_response(exc)
            response["Retry-After"] = str(int(getattr(exc, "wait", None) or 5))
            response["Cache-Control"] = "no-store"
            return response

    return limited
