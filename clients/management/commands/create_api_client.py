"""Register an app and print its first key: `create_api_client NAME [--require-signature] ...`."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from clients.models import ApiClient
from clients.services import api_client_create


class Command(BaseCommand):
    help = "Register an API client (app) and issue its first key. The secret is shown once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--require-signature", action="store_true", help="refuse plain keys")
        parser.add_argument("--user-agent", action="append", default=[], metavar="REGEX", help="allowed agents")
        parser.add_argument("--throttle-rate", default="", help="e.g. 100/minute")
        parser.add_argument(
            "--signup-proof",
            choices=ApiClient.SignupProof.values,
            default=ApiClient.SignupProof.CAPTCHA,
            help="what /api/v1/signup/session accepts: a captcha, a client attestation, or either [captcha]",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        try:
            with transaction.atomic():
                client, _, key_id, secret = api_client_create(
                    name=options["name"],
                    require_signature=options["require_signature"],
                    allowed_user_agents=options["user_agent"],
                    throttle_rate=options["throttle_rate"],
                    signup_proof=options["signup_proof"],
                )
                self.client_created(client, options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        write_credentials(self, client.client_id, key_id, secret, as_json=options["json"])

    def client_created(self, client: ApiClient, options: dict) -> None:
        """Hook for commands that extend this one (dpop's --require-dpop, transport's --client-cert).

        Runs in the creation's transaction: raising here leaves no app behind.
        """


def write_credentials(command: BaseCommand, client_id: str, key_id: str, secret: str, *, as_json: bool) -> None:
    """Print new credentials once, as JSON or as readable lines."""
    if as_json:
        command.stdout.write(json.dumps({"client_id": client_id, "key_id": key_id, "secret": secret}))
    else:
        command.stdout.write(f"client_id: {client_id}\nkey_id:    {key_id}\nsecret:    {secret}")
        command.stdout.write("The secret is shown once; store it now.")
