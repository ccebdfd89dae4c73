"""Permissions of the signup app."""

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from apiproject.exceptions import InsufficientScope
from signup.authentication import AnonymousTokenAuthentication
from signup.services import SIGNUP_SCOPE


class AnonymousTokenRequired(exceptions.NotAuthenticated):
    default_detail = "This endpoint needs an anonymous signup token (POST /api/v1/signup/session)."
    default_code = "anonymous_token_required"


class HasSignupScope(permissions.BasePermission):
    """Allows access only to requests with an anonymous token that carries the `signup` scope."""

    def has_permission(self, request: Request, view) -> bool:
        if not isinstance(request.successful_authenticator, AnonymousTokenAuthentication):
            raise AnonymousTokenRequired()
        scope = request.auth.get("scope")
        if not isinstance(scope, str) or SIGNUP_SCOPE not in scope.split():
            raise InsufficientScope()
        return True
