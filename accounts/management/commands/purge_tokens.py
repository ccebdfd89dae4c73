"""Delete the records of ended credentials: `purge_tokens [--json]`. Run it daily (docs/jwt.md).

Expired JWT refresh tokens, and login sessions that are revoked, expired or idle: each is
refused already, so its row has no more use.
"""

import json

from django.core.management.base import BaseCommand, CommandParser

from accounts.services.login import login_sessions_purge
from accounts.services.refresh_tokens import refresh_tokens_purge


class Command(BaseCommand):
    help = "Delete the records of expired refresh tokens and of ended login sessions (each is refused already)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        refresh_tokens = refresh_tokens_purge()
        login_sessions = login_sessions_purge()
        if options["json"]:
            deleted = refresh_tokens + login_sessions
            self.stdout.write(
                json.dumps({"deleted": deleted, "refresh_tokens": refresh_tokens, "login_sessions": login_sessions})
            )
        elif options["verbosity"]:
            self.stdout.write(
                f"Deleted {refresh_tokens} expired refresh token record(s) and {login_sessions} ended login session(s)."
            )
