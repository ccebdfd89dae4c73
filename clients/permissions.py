"""Permissions of the clients app: a calling app is required; staff-only views."""

from rest_framework import permissions
from rest_framework.request import Request

from apiproject.identity import request_app
from clients.exceptions import ClientRequired


class HasClient(permissions.BasePermission):
    """Allows access only to requests that identify the calling app.

    Exempt: Django session-cookie requests from the browsable API (the first-party web app).
    An OAuth2 access token identifies its app by its client_id.
    """

    def has_permission(self, request: Request, view) -> bool:
        if request_app(request) is not None:
            return True
        # The project's browser-session scheme says so itself; DRF's own SessionAuthentication, or
        # any other subclass a view might list, does not exempt a request from naming its app.
        if getattr(request.successful_authenticator, "exempt_from_app_identity", False):
            return True
        raise ClientRequired()


class IsStaff(permissions.BasePermission):
    """Allows access only to staff users."""

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_staff)
