"""`create_api_client NAME ... [--require-dpop]`: the clients app's command plus DPoP-bound tokens only."""

from django.core.management.base import CommandParser

from clients.management.commands import create_api_client
from clients.models import ApiClient
from dpop.services import dpop_requirement_set


class Command(create_api_client.Command):
    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--require-dpop", action="store_true", help="issue DPoP-bound tokens only (RFC 9449)")

    def client_created(self, client: ApiClient, options: dict) -> None:
        super().client_created(client, options)
        if options["require_dpop"]:
            dpop_requirement_set(client_id=client.client_id)
