"""Client attesters: whose signature on a Client Attestation this server trusts, for which app."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from attestation.crypto import NotAPublicKey, public_key_from_pem

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class ClientAttester(models.Model):
    """An attester registered for one app: its keys, as a JWKS URL or as one PEM public key.

    The app is an API client (attestation identifies it on /api/v1/) or an OAuth2 public
    application (attestation authenticates it at /o/token/). Exactly one of each pair is set.
    """

    api_client = models.ForeignKey(
        "clients.ApiClient", null=True, blank=True, on_delete=models.CASCADE, related_name="attesters"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attesters",
    )
    jwks_url = models.URLField(
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["https", "http"])],
        help_text="The attester's JWKS (https; http only on loopback, for development), fetched and cached.",
    )
    public_key_pem = models.TextField(blank=True, help_text="Or one public key, PEM (SubjectPublicKeyInfo).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(api_client__isnull=False, application__isnull=True)
                | models.Q(api_client__isnull=True, application__isnull=False),
                name="client_attester_one_app",
            ),
            models.CheckConstraint(
                condition=(~models.Q(jwks_url="") & models.Q(public_key_pem=""))
                | (models.Q(jwks_url="") & ~models.Q(public_key_pem="")),
                name="client_attester_one_key_source",
            ),
        ]

    def __str__(self) -> str:
        return f"attester of {self.client_id}: {self.jwks_url or 'PEM key'}"

    def clean(self) -> None:
        if bool(self.jwks_url) == bool(self.public_key_pem):
            raise ValidationError("Give either a JWKS URL or a PEM public key.")
        if self.jwks_url.startswith("http:") and urlsplit(self.jwks_url).hostname not in LOOPBACK_HOSTS:
            # Keys fetched over plain http could be swapped by anyone on the path.
            raise ValidationError({"jwks_url": "An attester's JWKS is fetched over https."})
        if self.public_key_pem:
            try:
                public_key_from_pem(self.public_key_pem)
            except NotAPublicKey as exc:
                raise ValidationError({"public_key_pem": str(exc)}) from exc
        if self.application_id and self.application.client_type != self.application.CLIENT_PUBLIC:
            raise ValidationError("Attestation is for public OAuth2 clients; a confidential one has a secret.")

    @property
    def client_id(self) -> str:
        """The client_id of the app this attester vouches for."""
        return self.api_client.client_id if self.api_client_id else self.application.client_id
