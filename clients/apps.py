"""The clients app: the calling app's identity, its API keys, user-agent rules, throttle and usage."""

from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Calling apps (API clients and keys)"

    def ready(self) -> None:
        # Imported for their side effects: the OpenAPI security scheme.
        from clients import schema  # noqa: F401
