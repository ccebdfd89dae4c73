"""Bind a client certificate to an app: `add_client_certificate CLIENT_ID FILE.pem [--json]`."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.models import ApiClient
from transport.services import client_certificate_add


def read_certificate(path: str) -> bytes:
    """Return the bytes of a certificate file, or stop the command with a clear message."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc


class Command(BaseCommand):
    help = "Bind a client certificate (by the SHA-256 of its DER) to an app for mutual TLS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id")
        parser.add_argument("certificate", metavar="FILE.pem")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        client = ApiClient.objects.filter(client_id=options["client_id"]).first()
        if client is None:
            raise CommandError(f"No API client {options['client_id']!r}.")
        try:
            row = client_certificate_add(client=client, pem=read_certificate(options["certificate"]))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"client_id": client.client_id, "thumbprint": row.thumbprint}))
        else:
            self.stdout.write(f"Bound {row.subject} (x5t#S256 {row.thumbprint}) to {client.client_id}.")
