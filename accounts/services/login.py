"""Login: the password check behind its brute-force limits, and the session tokens it issues."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_ratelimit import core as ratelimit_core
from django_ratelimit.core import get_usage

from accounts.crypto import generate_token, token_digest
from accounts.exceptions import InvalidCredentials, TooManyLoginAttempts
from accounts.models import LoginSession, User
from accounts.services.refresh_tokens import rows_delete_in_batches
from apiproject.client_ip import client_ip, ip_limit_key
from apiproject.counters import CACHE_ERRORS
from apiproject.exceptions import ServiceUnavailable
from audit.crypto import audit_username_digest
from audit.models import AuditEvent
from audit.services import audit_event_record

USERNAME_MAX_LENGTH = 150  # AbstractUser.username; no account has a longer name
# Far above any real passphrase. Longer input fails without reaching the hasher: Argon2 would
# cope, but no hasher in PASSWORD_HASHERS should be handed attacker-sized input.
PASSWORD_MAX_LENGTH = 1024


# --- The password check and its brute-force limits -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Limit:
    """One failure budget: a django-ratelimit group, its key and its rate setting."""

    scope: str  # "username" or "ip", for the audit log
    key: str | Callable[[str, HttpRequest], str]
    rate: str

    def usage(self, request: HttpRequest, *, increment: bool) -> dict | None:
        """Read (or atomically increment) this budget's counter in the shared cache."""
        try:
            return get_usage(request, group=f"login:{self.scope}", key=self.key, rate=self.rate, increment=increment)
        except CACHE_ERRORS as exc:
            # A limit that cannot be checked is not skipped: refuse rather than hash unmetered.
            raise ServiceUnavailable(
                "The login rate-limit store is unavailable.", code="rate_limit_store_unavailable"
            ) from exc


def username_key(username: str) -> str:
    """Return the rate-limit key of a username: bounded, NFKC-normalised and case-folded.

    Folding case means `Alice` and `ALICE` share one budget, so varying the case of a name
    buys an attacker no extra guesses. django-ratelimit hashes the key, so no username is
    stored in the cache in the clear.
    """
    return unicodedata.normalize("NFKC", username[:USERNAME_MAX_LENGTH]).casefold()


def ip_key(group: str, request: HttpRequest) -> str:
    """Return the rate-limit key of the client IP (apiproject.client_ip), IPv6 grouped by /64.

    Not django-ratelimit's own "ip" key: that reads REMOTE_ADDR (or one header it is pointed
    at) whoever sent it, and fails on a request without a peer address (a unix-socket ASGI
    server sets none), which here shares the budget "unknown" instead.
    """
    return ip_limit_key(client_ip(request))


def _login_limits(username: str) -> list[_Limit]:
    # Per IP, IPv6 by its /64: one host usually holds a whole /64, so per-address would mean no limit.
    key = username_key(username)
    return [
        _Limit(scope="username", key=lambda group, request: key, rate=settings.LOGIN_FAILURE_LIMIT_PER_USERNAME),
        _Limit(scope="ip", key=ip_key, rate=settings.LOGIN_FAILURE_LIMIT_PER_IP),
    ]


def _failure_budget_reserve(request: HttpRequest, *, attempted: str, limits: list[_Limit]) -> None:
    """Count this attempt against the username's and the IP's budgets; raise 429 if either is spent.

    The count is taken *before* the password hasher runs, atomically (cache add + incr), so N
    parallel guesses get N distinct counts and at most the budget reaches the hasher; reading
    first and counting after a failure would let a burst through. A flood past the limit costs
    a few cache round trips per request, not an Argon2 computation, and is refused even with
    the right password. A successful login gives its reservation back (_failure_budget_refund).
    """
    wait = 0
    for limit in limits:
        usage = limit.usage(request, increment=True)
        if usage is None or usage["count"] <= usage["limit"]:
            continue
        # django-ratelimit's window still holds at second `time_left` and has passed one later.
        retry_after = max(usage["time_left"] + 1, 1)
        wait = max(wait, retry_after)
        # Exactly one request per window sees the first count past the limit: it alone writes
        # the audit event, so a flood of refusals does not become a flood of audit rows.
        if usage["count"] == usage["limit"] + 1:
            audit_event_record(
                kind=AuditEvent.Kind.RATE_LIMITED,
                request=request,
                username=audit_username(attempted),
                limit=f"login:{limit.scope}",
                retry_after=retry_after,
            )
    if wait:
        raise TooManyLoginAttempts(wait=wait)


def _failure_budget_refund(request: HttpRequest, *, limits: list[_Limit]) -> None:
    """Give a successful login's reservation back: only failures use up the budget.

    django-ratelimit has no decrement, so this rebuilds its cache key with its own helpers
    (pinned at django-ratelimit 4.1.0; test_bruteforce proves successes do not count, so a
    change of its key scheme fails the tests instead of silently counting successes).
    """
    cache = caches[settings.RATELIMIT_USE_CACHE]
    for limit in limits:
        group = f"login:{limit.scope}"
        value = limit.key(group, request) if callable(limit.key) else ratelimit_core._SIMPLE_KEYS[limit.key](request)
        _, period = ratelimit_core._split_rate(limit.rate)
        window = ratelimit_core._get_window(value, period)
        cache_key = ratelimit_core._make_cache_key(group, window, limit.rate, value, ratelimit_core.ALL)
        try:
            cache.decr(cache_key)
        except ValueError:  # the window ended in between: nothing left to give back
            pass
        except CACHE_ERRORS:  # the login succeeded; an unrefunded attempt only errs on the safe side
            pass


def audit_username(attempted: str) -> str:
    """Return what the audit log may record of a username someone tried to sign in with.

    An existing account's name as typed; for a name no account has, only a keyed digest
    (audit_username_digest). People type their password into the username field, and
    the log must never hold it, nor anything it can be recovered from without the server key.
    """
    if attempted and User.objects.filter(username__iexact=attempted).exists():
        return attempted
    return "unknown:" + audit_username_digest(attempted, secret=settings.SECRET_KEY)


def credentials_check(*, request: HttpRequest, username: str, password: str) -> User:
    """Return the user whose username and password these are; otherwise raise 401 or 429.

    Every password login goes through here (POST /auth/login, the JWT token endpoint, the OAuth2
    login page and password grant), so one failure budget per username and one per client IP
    cover them all:

    1. Over budget: 429 with Retry-After, before the hasher runs, even for the right password.
    2. Input no account could have (empty, over-long, NUL) fails without reaching the hasher.
       Otherwise the hasher runs whether or not the user exists (Django's ModelBackend hashes
       the password for unknown users, ticket #20760), so a wrong password and an unknown user
       take about the same time; both, and an inactive account, read as one 401.
    3. Every attempt is counted against both budgets before hashing, atomically in the shared
       cache; a success gives its count back. Both are written to the audit log, without the
       password.
    """
    request = getattr(request, "_request", request)  # a DRF Request wraps the Django one
    # As typed, but bounded, and without NUL, which a PostgreSQL text column cannot hold.
    attempted = username[:USERNAME_MAX_LENGTH].replace("\x00", "")
    limits = _login_limits(username)
    _failure_budget_reserve(request, attempted=attempted, limits=limits)

    user = None
    if 0 < len(username) <= USERNAME_MAX_LENGTH and "\x00" not in username and len(password) <= PASSWORD_MAX_LENGTH:
        # NFKC as Django's AuthenticationForm does, so a name typed in another Unicode form
        # finds the account it was registered as.
        user = authenticate(request, username=unicodedata.normalize("NFKC", username), password=password)
    if user is None:
        audit_event_record(kind=AuditEvent.Kind.LOGIN_FAILED, request=request, username=audit_username(attempted))
        raise InvalidCredentials()
    _failure_budget_refund(request, limits=limits)
    audit_event_record(kind=AuditEvent.Kind.LOGIN_SUCCEEDED, request=request, user=user)
    return user


# --- Login sessions ------------------------------------------------------------------------------


@transaction.atomic
def login_session_create(*, user: User, client_id: str, user_agent: str = "", ip: str = "") -> tuple[LoginSession, str]:
    """Start a session for a user who has just proven their password; return (session, token).

    Every login gets a new 256-bit token, so each device can be listed and revoked on its own.
    Only the token's digest is stored; the token exists in the clear in the return value only.
    """
    token = generate_token()
    now = timezone.now()
    session = LoginSession.objects.create(
        user=user,
        token_digest=token_digest(token),
        client_id=client_id,
        created_at=now,
        last_used_at=now,
        expires_at=now + settings.LOGIN_SESSION_MAX_AGE,
        user_agent=user_agent[:256],
        ip=ip or None,
    )
    User.objects.filter(pk=user.pk).update(last_login=now)
    return session, token


def login_session_touch(*, session: LoginSession) -> None:
    """Record that the session was used now; written at most once per LOGIN_SESSION_TOUCH_INTERVAL.

    The idle timeout needs last_used_at, but writing it on every request would turn every read
    into a write; at a one-minute resolution nearly every request only reads.
    """
    now = timezone.now()
    if now - session.last_used_at >= settings.LOGIN_SESSION_TOUCH_INTERVAL:
        LoginSession.objects.filter(pk=session.pk).update(last_used_at=now)
        session.last_used_at = now


def login_session_revoke(*, session: LoginSession, request: HttpRequest | None = None, reason: str) -> bool:
    """Revoke one session at once, in every worker; return False if it was already revoked."""
    revoked = LoginSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        audit_event_record(
            kind=AuditEvent.Kind.SESSION_REVOKED,
            request=request,
            user=session.user,
            session_id=str(session.pk),
            reason=reason,
        )
    return bool(revoked)


def login_sessions_purge(*, now: datetime | None = None) -> int:
    """Delete the sessions that can never authenticate again (revoked, expired or idle).

    Their tokens are refused already; the rows only grow the table. Logins and revocations
    stay in the audit log.
    """
    now = timezone.now() if now is None else now
    return rows_delete_in_batches(LoginSession.objects.ended(now=now, idle_timeout=settings.LOGIN_SESSION_IDLE_TIMEOUT))


def login_sessions_revoke_all(*, user: User) -> int:
    """Revoke every live session of the user; return how many were revoked."""
    return LoginSession.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
