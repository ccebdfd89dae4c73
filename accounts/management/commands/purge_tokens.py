"""Delete the records of expired JWT refresh tokens: `purge_tokens [--json]`. Run it daily (docs/jwt.md)."""

import json

from django.core.management.base import BaseCommand, CommandParser

from accounts.services import refresh_tokens_purge


class Command(BaseCommand):
    help = "Delete the records of expired JWT refresh tokens (an expired token is refused by its exp claim alone)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        deleted = refresh_tokens_purge()
        if options["json"]:
            self.stdout.write(json.dumps({"deleted": deleted}))
        elif options["verbosity"]:
            self.stdout.write(f"Deleted {deleted} expired refresh token record(s).")
