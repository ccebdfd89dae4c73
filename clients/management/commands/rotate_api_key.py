"""Issue a new key for an app: `rotate_api_key CLIENT_ID [--expire-old-in SECONDS]`."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.management.commands.create_api_client import write_credentials
from clients.models import ApiClient
from clients.services import api_key_rotate


class Command(BaseCommand):
    help = "Issue a new key for an app; old keys keep working until revoked or expired."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id")
        parser.add_argument("--expire-old-in", type=int, metavar="SECONDS", help="expire the old keys after this")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        if options["expire_old_in"] is not None and options["expire_old_in"] < 0:
            raise CommandError("--expire-old-in must be zero or more seconds.")
        try:
            client = ApiClient.objects.get(client_id=options["client_id"])
        except ApiClient.DoesNotExist as exc:
            raise CommandError(f"No API client with client_id {options['client_id']!r}.") from exc
        _, key_id, secret = api_key_rotate(client=client, expire_old_in=options["expire_old_in"])
        write_credentials(self, client.client_id, key_id, secret, as_json=options["json"])
