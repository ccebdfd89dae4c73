"""Permissions of the oauth app: OAuth2 scopes on the views that ask for them."""

from rest_framework import permissions
from rest_framework.request import Request

from apiproject.exceptions import InsufficientScope


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
