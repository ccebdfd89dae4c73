"""Permissions: which app and which user may call."""

from rest_framework import permissions
from rest_framework.request import Request

from accounts.authentication.session import SessionAuthentication
from accounts.exceptions import ClientRequired, InsufficientScope
from accounts.records import request_app


class HasClient(permissions.BasePermission):
    """Allows access only to requests that identify the calling app.

    Exempt: Django session-cookie requests from the browsable API (the first-party web app).
    An OAuth2 access token identifies its app by its client_id.
    """

    def has_permission(self, request: Request, view) -> bool:
        if request_app(request) is not None:
            return True
        if isinstance(request.successful_authenticator, SessionAuthentication):
            return True
        raise ClientRequired()


class IsStaff(permissions.BasePermission):
    """Allows access only to staff users."""

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_staff)


class IsNotDelegated(permissions.BasePermission):
    """Refuses OAuth2 access tokens: a delegated token may not manage the user's own credentials.

    A third-party app a user granted `purchases:read` or `profile` must not list the user's
    sessions (with their IPs), end them, log the user out everywhere, or read staff reports.
    No scope opens these endpoints: they are for the user's own apps (key or signature).
    """

    def has_permission(self, request: Request, view) -> bool:
        if getattr(request, "oauth2_token", None) is not None:
            raise InsufficientScope("An OAuth2 access token cannot be used on this endpoint.")
        return True


class TokenHasScope(permissions.BasePermission):
    """Allows an OAuth2 request only if its token carries the scope the method needs.

    Subclasses name the scopes: `read_scope` for safe methods (GET, HEAD, OPTIONS) and
    `write_scope` for the others. Requests authenticated any other way carry no scopes and
    pass: a key, a login token or a session is not a delegation, so there is nothing to narrow.
    A token without the scope gets 403 `insufficient_scope` (RFC 6750 §3.1).
    """

    read_scope: str = ""
    write_scope: str = ""

    def has_permission(self, request: Request, view) -> bool:
        token = getattr(request, "oauth2_token", None)  # set by OAuth2Authentication
        if token is None:
            return True
        needed = self.read_scope if request.method in permissions.SAFE_METHODS else self.write_scope
        if needed not in token.scopes:
            raise InsufficientScope(f"This request needs the scope {needed}.")
        return True
