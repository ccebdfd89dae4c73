"""Register an app's attester: `add_client_attester CLIENT_ID (--jwks-url URL | --public-key FILE.pem)`."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from attestation.services import client_attester_add


class Command(BaseCommand):
    help = "Trust an attester's keys for an API client or an OAuth2 public application (API.md §13)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--jwks-url", help="the attester's JWKS (https), fetched and cached")
        source.add_argument("--public-key", metavar="FILE.pem", help="one PEM public key")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        pem = None
        if options["public_key"]:
            try:
                pem = Path(options["public_key"]).read_text()
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"Cannot read {options['public_key']}: {exc}") from exc
        try:
            attester = client_attester_add(
                client_id=options["client_id"], jwks_url=options["jwks_url"], public_key_pem=pem
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"client_id": attester.client_id, "attester": attester.pk}))
        else:
            self.stdout.write(f"Registered {attester}.")
