"""Write pending usage counts to the database: `flush_usage [--every SECONDS] [--json]` (docs/api-keys.md).

With Redis every worker counts into one pending hash (clients.usage); this command, run beside
the server, moves it into UsageRecord rows. Once: exits non-zero if the database or Redis
fails, and the counts stay pending for the next run. With `--every 10` it runs until stopped,
logging each failure and trying again at the next tick: what `make prod` and deploy/ run.
"""

import json
import logging
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.usage import usage_flush

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Write the usage counts pending in Redis to the database (once, or every N seconds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, metavar="SECONDS", help="run until stopped, every SECONDS")
        parser.add_argument("--json", action="store_true", help="print one JSON object per flush")

    def handle(self, *args, **options) -> None:
        every = options["every"]
        if every is not None and every <= 0:
            raise CommandError("--every takes a positive number of seconds")
        if every is None:
            try:
                self._flush_once(options)
            except Exception as exc:
                raise CommandError(f"usage not flushed, kept for the next run: {type(exc).__name__}: {exc}") from exc
            return
        while True:
            started = time.monotonic()
            try:
                self._flush_once(options)
            except Exception:  # noqa: BLE001 - keep running: the counts stay pending in Redis
                logger.exception("usage not flushed, kept for the next run")
            time.sleep(max(0.0, every - (time.monotonic() - started)))

    def _flush_once(self, options: dict) -> None:
        buckets = usage_flush()
        if options["json"]:
            self.stdout.write(json.dumps({"buckets": buckets}))
        elif options["verbosity"] > 1 or (options["verbosity"] and options["every"] is None):
            self.stdout.write(f"Wrote {buckets} usage bucket(s).")
