"""Object-level permissions of purchases."""

from rest_framework import permissions
from rest_framework.request import Request

from oauth.permissions import TokenHasScope


class IsOwner(permissions.BasePermission):
    """Allows access only to the purchase's owner, for every method (others get 403)."""

    def has_object_permission(self, request: Request, view, obj) -> bool:
        return obj.owner_id == request.user.id


class HasPurchaseScope(TokenHasScope):
    """Allows OAuth2 tokens to read purchases with purchases:read and change them with purchases:write."""

    read_scope = "purchases:read"
    write_scope = "purchases:write"
