"""API clients (apps), their keys, and per-app usage counters."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from clients.crypto import generate_client_id
from clients.user_agents import user_agent_pattern_compile


def validate_user_agent_patterns(value: object) -> None:
    """Accept only a list of strings that RE2 compiles (matched in linear time, API.md §1)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Enter a list of regular expressions.")
    for pattern in value:
        try:
            user_agent_pattern_compile(pattern)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def validate_rate(value: str) -> None:
    """Accept DRF rate strings such as '100/minute' (or blank for the default rate)."""
    if value and not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ValidationError("Enter a rate such as 100/minute.")


class ApiClient(models.Model):
    """An app registered by an operator: the *what* that calls the API."""

    client_id = models.CharField(max_length=64, unique=True, default=generate_client_id, editable=False)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    require_signature = models.BooleanField(
        default=False, help_text="Refuse plain keys: every request must carry an HTTP message signature."
    )
    allowed_user_agents = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_user_agent_patterns],
        help_text="Regular expressions; when set, the whole User-Agent must match one of them.",
    )
    throttle_rate = models.CharField(
        max_length=32, blank=True, validators=[validate_rate], help_text="e.g. 100/minute; blank for the default."
    )

    class SignupProof(models.TextChoices):
        CAPTCHA = "captcha"
        ATTESTATION = "attestation"  # a genuine app instance (attestation app): no captcha
        EITHER = "either"

    signup_proof = models.CharField(
        max_length=16,
        choices=SignupProof.choices,
        default=SignupProof.CAPTCHA,
        help_text="What /api/v1/signup/session accepts as proof of a real person's app: a captcha, "
        "a client attestation (API.md §13), or either.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API client"

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class ApiKeyQuerySet(models.QuerySet):
    def usable(self) -> "ApiKeyQuerySet":
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, client__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """One key of an app: a key id stored as a digest, and a shared secret stored encrypted."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="keys")
    key_id_digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key id, so operators can tell keys apart; too short to use.
    prefix = models.CharField(max_length=8, editable=False)
    encrypted_secret = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.client.name})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class UsageRecord(models.Model):
    """Calls of one app key, aggregated per day, route, status, source IP and User-Agent.

    `key` is empty for calls identified by a client attestation (attestation app), which
    names the app but no key.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="usage")
    key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    route = models.CharField(max_length=200)
    status_code = models.PositiveSmallIntegerField()
    # Plain text, "" when unknown: no NULLs, so the unique bucket holds on every database.
    ip = models.CharField(max_length=45)
    user_agent = models.CharField(max_length=256)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "key", "day", "route", "status_code", "ip", "user_agent"],
                name="usage_record_unique_bucket",
            )
        ]
        indexes = [models.Index(fields=["client", "day"])]

    def __str__(self) -> str:
        return f"{self.client_id} {self.day} {self.route} {self.status_code}: {self.count}"
