"""Ending a user's credentials: every kind at once, for logout-all, password change and deactivation."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_lock
from accounts.services.login import login_sessions_revoke_all
from accounts.services.refresh_tokens import refresh_tokens_revoke_for_user
from accounts.signals import credentials_revoking
from audit.models import AuditEvent
from audit.services import audit_event_record


@transaction.atomic
def user_credentials_revoke(*, user: User, reason: str, request: HttpRequest | None = None) -> dict[str, int]:
    """End every credential the user holds; return how many of each kind were ended.

    - login session tokens (`Authorization: Token`): revoked;
    - JWT refresh tokens, every family on every app: revoked;
    - OAuth2 refresh tokens (and their access tokens' rows) and unexchanged codes: revoked, by
      the oauth app's receiver of `credentials_revoking` (accounts/signals.py);
    - Django browser sessions: `credentials_revoked_at` enters their auth hash
      (User.get_session_auth_hash), so each one is flushed at its next request, whatever the
      session store keeps as its key.

    One transaction under the user's row lock, which every refresh-token rotation takes too:
    once this returns, no refresh token issued before it works, even one rotated meanwhile.
    Access tokens already issued (JWT, OAuth2) run out with their lifetime, 5 minutes at most.
    `user` gets the new mark as well, so Django's update_session_auth_hash can keep the
    current browser session of a password change alive.
    """
    locked = user_lock(user_id=user.pk)
    now = timezone.now()
    ended = {
        "sessions": login_sessions_revoke_all(user=user),
        "refresh_tokens": refresh_tokens_revoke_for_user(user=user),
    }
    for _, counts in credentials_revoking.send(sender=User, user=user):
        ended.update(counts)
    user.credentials_revoked_at = now
    if locked is not None:  # this column only; a save, so workers' copies of the user are renewed
        user.save(update_fields=["credentials_revoked_at"])
    kind = AuditEvent.Kind.LOGOUT_ALL if reason == "logout_all" else AuditEvent.Kind.CREDENTIALS_REVOKED
    audit_event_record(kind=kind, request=request, user=user, reason=reason, **ended)
    return ended


def user_logout_all(*, user: User, request: HttpRequest | None = None) -> None:
    """Sign the user out everywhere (POST /auth/logout-all): every credential of every kind."""
    user_credentials_revoke(user=user, reason="logout_all", request=request)
