"""Revoke one key at once: `revoke_api_key KEY_ID`."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.models import ApiKey
from clients.services import api_key_revoke_by_key_id


class Command(BaseCommand):
    help = "Revoke one API key at once (every worker refuses it within API_KEY_CACHE_SECONDS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id")

    def handle(self, *args, **options) -> None:
        try:
            key = api_key_revoke_by_key_id(key_id=options["key_id"])
        except ApiKey.DoesNotExist as exc:
            raise CommandError("No such key.") from exc
        self.stdout.write(f"Revoked key {key.prefix}… of {key.client.client_id}.")
