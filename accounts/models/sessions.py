"""Login sessions: one row per successful login, found by the digest of its bearer token."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models


def _live(now: datetime, idle_timeout: timedelta) -> models.Q:
    # The rule of LoginSession.is_live, for the database.
    return models.Q(revoked_at__isnull=True, expires_at__gt=now, last_used_at__gt=now - idle_timeout)


class LoginSessionQuerySet(models.QuerySet):
    def live(self, *, now: datetime, idle_timeout: timedelta) -> "LoginSessionQuerySet":
        """The sessions that may still authenticate: not revoked, expired or idle."""
        return self.filter(_live(now, idle_timeout))

    def ended(self, *, now: datetime, idle_timeout: timedelta) -> "LoginSessionQuerySet":
        """The sessions that can never authenticate again: revoked, expired or idle."""
        return self.exclude(_live(now, idle_timeout))


class LoginSession(models.Model):
    """A signed-in user's session, used with `Authorization: Token <token>`.

    The token itself is never stored: only its SHA-256 digest, which is useless to call the API
    with. The public `id` is a random UUID, so session ids reveal nothing about how many
    logins the server has seen.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)  # unique: indexed
    client_id = models.CharField(max_length=64, help_text="The app the user signed in through.")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="Absolute expiry: no use extends it.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = LoginSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} via {self.client_id} at {self.created_at:%Y-%m-%d %H:%M}"

    def is_live(self, *, now: datetime, idle_timeout: timedelta) -> bool:
        """Return whether the session may authenticate at `now`: not revoked, expired or idle."""
        return self.revoked_at is None and now < self.expires_at and now < self.last_used_at + idle_timeout
