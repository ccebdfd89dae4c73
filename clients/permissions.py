"""Permissions of the clients app: a calling app is required; staff-only views."""

from rest_framework import authentication, permissions
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
        if isinstance(request.successful_authenticator, authentication.SessionAuthentication):
            return True
        raise ClientRequired()


class IsStaff(permissions.BasePermission):
    """Allows access only to staff users."""

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_staff)
