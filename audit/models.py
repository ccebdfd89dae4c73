"""The security audit log."""

from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One security-relevant event; never holds a password, token, key id or secret."""

    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "login_succeeded"
        LOGIN_FAILED = "login_failed"
        RATE_LIMITED = "rate_limited"
        SESSION_REVOKED = "session_revoked"
        LOGOUT_ALL = "logout_all"
        KEY_CREATED = "key_created"
        KEY_REVOKED = "key_revoked"
        REFRESH_REUSED = "refresh_reused"
        PERSON_CREATED = "person_created"
        CREDENTIALS_REVOKED = "credentials_revoked"

    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"
