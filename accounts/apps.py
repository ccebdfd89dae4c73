from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import (
            receivers,  # noqa: F401 - a password change or deactivation ends credentials
            schema,  # noqa: F401 - registers the OpenAPI security schemes
        )
