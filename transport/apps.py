from django.apps import AppConfig


class TransportConfig(AppConfig):
    name = "transport"
    verbose_name = "Transport security (mutual TLS)"

    def ready(self) -> None:
        from transport import schema  # noqa: F401 - registers the OpenAPI security scheme
