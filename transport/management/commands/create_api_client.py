"""`create_api_client NAME ... [--client-cert FILE.pem] [--require-mtls]`: dpop's command plus mutual TLS."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from clients.models import ApiClient
from dpop.management.commands import create_api_client
from transport.management.commands.add_client_certificate import read_certificate
from transport.services import client_certificate_add, mtls_policy_set


class Command(create_api_client.Command):
    help = create_api_client.Command.help + " Optionally bind a client certificate and require mutual TLS."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--client-cert", metavar="FILE.pem", help="bind this client certificate to the app")
        parser.add_argument("--require-mtls", action="store_true", help="refuse the key or signature without it")

    def handle(self, *args, **options) -> None:
        if options["require_mtls"] and not options["client_cert"]:
            raise CommandError("--require-mtls needs --client-cert: the app could never call otherwise.")
        self.certificate = read_certificate(options["client_cert"]) if options["client_cert"] else None
        super().handle(*args, **options)

    def client_created(self, client: ApiClient, options: dict) -> None:
        """Bind the certificate inside the creation's transaction: a refused certificate leaves no app."""
        super().client_created(client, options)
        if self.certificate is None:
            return
        try:
            client_certificate_add(client=client, pem=self.certificate)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        mtls_policy_set(client=client, require_mtls=options["require_mtls"])
