from django.apps import AppConfig


class SignupConfig(AppConfig):
    name = "signup"

    def ready(self) -> None:
        # Imported for their side effects: the OpenAPI security scheme.
        from signup import schema  # noqa: F401
