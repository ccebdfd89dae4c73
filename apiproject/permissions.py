"""Permissions shared by every app."""

from rest_framework import permissions
from rest_framework.request import Request

from apiproject.exceptions import InsufficientScope


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
