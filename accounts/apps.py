from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Imported for their side effects: a password change or deactivation ends credentials; the OpenAPI schemes.
        from accounts import receivers, schema  # noqa: F401
