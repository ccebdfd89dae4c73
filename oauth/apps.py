"""The oauth app: the django-oauth-toolkit authorization server and the resource-server modes."""

from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "oauth"
    verbose_name = "OAuth2 (django-oauth-toolkit)"

    def ready(self) -> None:
        # Imported for their side effects: OAuth2 tokens end with a user's other credentials; the OpenAPI scheme.
        from oauth import receivers, schema  # noqa: F401
