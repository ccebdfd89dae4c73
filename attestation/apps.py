"""The attestation app: genuine mobile app instances, vouched for by their vendor's attester."""

from django.apps import AppConfig


class AttestationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "attestation"
    verbose_name = "Client attestation"

    def ready(self) -> None:
        from attestation import schema  # noqa: F401 - registers the OpenAPI security scheme
