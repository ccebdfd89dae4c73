"""What every app-identity scheme shares: checking the key's policy and recording the app."""

from django.utils import timezone
from rest_framework import authentication
from rest_framework.request import Request

from accounts.exceptions import InvalidApiKey, MalformedCredentials, UserAgentRejected
from accounts.records import AppIdentity, KeyRecord

MAX_USER_AGENT_LENGTH = 512  # longer agents are refused before any regular expression runs


def authorization_credential(request: Request, keyword: str, *, max_length: int | None = None) -> str | None:
    """Return the credential of `Authorization: <keyword> <credential>`, or None for another scheme.

    RFC 9110 §11.1: the scheme name is case-insensitive. A header of this scheme that is not
    exactly one ASCII credential (of at most `max_length` bytes) is malformed: 401, never a 500.
    """
    parts = authentication.get_authorization_header(request).split()
    if not parts or parts[0].lower() != keyword.lower().encode():
        return None
    if len(parts) != 2:
        raise MalformedCredentials(f"Authorization: {keyword} takes exactly one credential.")
    if max_length is not None and len(parts[1]) > max_length:
        raise MalformedCredentials(f"The {keyword} credential is too long.")
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedCredentials(f"The {keyword} credential must be ASCII.") from exc


def identify_app(request: Request, record: KeyRecord | None, *, scheme: str) -> AppIdentity:
    """Check that the key may call now and from this agent, then record the app on the request.

    The app is stored on the Django request (`request.app`), not returned as DRF's `auth`, so
    that the user schemes after it in DEFAULT_AUTHENTICATION_CLASSES still run: a request can
    carry an app key and a user credential together.
    """
    if record is None or not record.is_usable(timezone.now()):
        raise InvalidApiKey()
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    if len(user_agent) > MAX_USER_AGENT_LENGTH or not record.allows_user_agent(user_agent):
        raise UserAgentRejected()
    app = AppIdentity(
        client_id=record.client_id,
        scheme=scheme,
        client_pk=record.client_pk,
        key_pk=record.key_pk,
        throttle_rate=record.throttle_rate,
    )
    request._request.app = app
    return app


def set_app(request: Request, app: AppIdentity) -> None:
    """Record an app established by a user credential (an OAuth2 token names its client)."""
    request._request.app = app
