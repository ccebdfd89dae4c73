"""Client certificates bound to apps, and each app's mutual-TLS policy."""

from django.db import models


class ClientCertificate(models.Model):
    """A client certificate that identifies its app over mutual TLS, by the SHA-256 of its DER."""

    client = models.ForeignKey("clients.ApiClient", on_delete=models.CASCADE, related_name="certificates")
    # RFC 8705 §3.1 x5t#S256: base64url SHA-256 of the DER, 43 characters. Public, so stored as is.
    thumbprint = models.CharField(max_length=64, unique=True)
    subject = models.CharField(max_length=255)
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.subject} ({self.thumbprint[:12]}…)"


class MutualTlsPolicy(models.Model):
    """Whether an app must call over mutual TLS: then its key or signature alone gets 401 mtls_required."""

    client = models.OneToOneField(
        "clients.ApiClient", on_delete=models.CASCADE, primary_key=True, related_name="mtls_policy"
    )
    require_mtls = models.BooleanField(default=False)

    class Meta:
        verbose_name = "mutual TLS policy"
        verbose_name_plural = "mutual TLS policies"
