"""Re-encrypt every stored API secret under the newest key-encryption key."""

from django.core.management.base import BaseCommand

from clients.services import api_secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt stored secrets under the first key of API_SECRET_ENCRYPTION_KEYS. Put the new "
        "key first, keep the old ones after it, run this, then drop the old ones."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Re-encrypted {api_secrets_reencrypt()} secret(s).")
