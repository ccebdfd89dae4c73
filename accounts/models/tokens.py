"""JWT refresh tokens: one row per issued token, grouped in families (one per login)."""

import uuid

from django.conf import settings
from django.db import models


class RefreshTokenRecord(models.Model):
    """One issued refresh token: its id, its login's family and its digest, never the token.

    simplejwt's OutstandingToken stores the token string itself, so a copy of the database
    would be a pile of live credentials; here the signed token exists only at the client.
    A token is live while `used_at` and `revoked_at` are empty and `expires_at` is ahead.
    """

    jti = models.CharField(max_length=64, unique=True, editable=False)  # the token's `jti` claim
    family_id = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens")
    client_id = models.CharField(max_length=64, help_text="The app that obtained the login.")
    # SHA-256 of the whole signed token: the row answers for those exact bytes only.
    token_digest = models.CharField(max_length=64, editable=False)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)  # the purge scans this
    used_at = models.DateTimeField(null=True, blank=True, help_text="Exchanged for a new pair (rotation).")
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaces", editable=False
    )

    class Meta:
        verbose_name = "JWT refresh token"
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.jti[:8]}… of {self.user} via {self.client_id}"
