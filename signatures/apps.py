"""The signatures app: RFC 9421 signed requests, Content-Digest and encrypted (JWE) payloads."""

from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "signatures"
    verbose_name = "Signed requests (RFC 9421)"

    def ready(self) -> None:
        # Imported for their side effects: the OpenAPI security scheme.
        from signatures import schema  # noqa: F401
