"""Reads reused across the accounts app: cached key lookups, usage reports, login sessions, users."""

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.crypto import token_digest
from accounts.models import LoginSession, User

# --- Login sessions ------------------------------------------------------------------------------


def login_session_by_token(token: str) -> LoginSession | None:
    """Return the session (with its user) whose token this is, or None; one indexed query.

    Not cached in process memory: a revoked token must be refused by every worker at once,
    and a lookup on the unique digest index costs about as much as a cache round trip.
    """
    try:
        return LoginSession.objects.select_related("user").get(token_digest=token_digest(token))
    except LoginSession.DoesNotExist:
        return None


def login_sessions_live(*, user) -> QuerySet[LoginSession]:
    """Return the user's sessions that can still authenticate: not revoked, expired or idle."""
    return LoginSession.objects.live(now=timezone.now(), idle_timeout=settings.LOGIN_SESSION_IDLE_TIMEOUT).filter(
        user=user
    )


# --- Users ---------------------------------------------------------------------------------------


def user_lock(*, user_id: int) -> User | None:
    """Lock the user's row until the current transaction ends; return the user (None if deleted).

    The one lock that every refresh-token rotation and every revocation of the user's
    credentials take first (JWT and OAuth2 alike), so they run one at a time. Under PostgreSQL's
    READ COMMITTED, a revocation that waited here then sees the token a rotation just inserted,
    and a rotation that waited sees the revocation: no token issued before a revocation
    survives it. SQLite runs one writer at a time anyway and ignores FOR UPDATE.
    """
    return User.objects.select_for_update().filter(pk=user_id).first()
