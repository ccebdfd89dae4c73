"""What DPoP keeps in the database: which apps require it, and which OAuth2 refresh families are bound."""

from django.db import models


class DPoPRequirement(models.Model):
    """An app (API client or OAuth2 application, by client_id) whose tokens are only issued bound.

    Kept here rather than as a column of each app model: one table serves both kinds of app,
    and the DPoP control stays in one folder. Read once per token request, never per API call.
    """

    client_id = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "DPoP requirement"

    def __str__(self) -> str:
        return self.client_id


class BoundRefreshFamily(models.Model):
    """An OAuth2 refresh-token family (the toolkit's `token_family`) bound to one DPoP key.

    RFC 9449 §5: a refresh token issued with a proof is bound to that proof's key. The
    toolkit's refresh tokens are random strings stored as checksums, with nowhere to put a
    `cnf`; every rotation keeps the family, so binding the family binds every successor.
    """

    token_family = models.UUIDField(unique=True)
    jkt = models.CharField(max_length=64, help_text="RFC 7638 SHA-256 thumbprint of the DPoP public key")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "DPoP-bound refresh family"
        verbose_name_plural = "DPoP-bound refresh families"

    def __str__(self) -> str:
        return f"{self.token_family} -> {self.jkt}"
