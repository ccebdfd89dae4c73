"""Reads of the DPoP control."""

import uuid

from dpop.models import BoundRefreshFamily, DPoPRequirement


def dpop_required(*, client_id: str) -> bool:
    """Return whether the app `client_id` may only be issued DPoP-bound tokens."""
    return DPoPRequirement.objects.filter(client_id=client_id).exists()


def refresh_family_jkt(*, token_family: uuid.UUID | None) -> str | None:
    """Return the thumbprint an OAuth2 refresh-token family is bound to, or None if unbound."""
    if token_family is None:
        return None
    return BoundRefreshFamily.objects.filter(token_family=token_family).values_list("jkt", flat=True).first()
