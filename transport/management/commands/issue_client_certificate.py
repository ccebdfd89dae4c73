"""Issue a development client certificate from the local client CA: `issue_client_certificate NAME`."""

import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from deploy.secrets import write_private
from transport.services import client_certificate_issue


class Command(BaseCommand):
    help = "Issue a client certificate and key from the local client CA (var/tls/) for development."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the certificate's common name, e.g. the app's name")
        parser.add_argument("--out-dir", default="", help="where to write NAME.pem and NAME-key.pem (var/tls/clients)")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        name = options["name"]
        if not name or "/" in name or name.startswith("."):
            raise CommandError("NAME must be a plain file name (no '/', not starting with '.').")
        if not 1 <= options["days"] <= 825:
            raise CommandError("--days must be between 1 and 825.")
        out = Path(options["out_dir"] or Path(settings.VAR_DIR) / "tls" / "clients")
        cert_path, key_path = out / f"{name}.pem", out / f"{name}-key.pem"
        if cert_path.exists() or key_path.exists():
            raise CommandError(f"{cert_path} or {key_path} exists already; choose another NAME.")
        try:
            cert_pem, key_pem, thumbprint = client_certificate_issue(name=name, days=options["days"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(key_path, key_pem)
        cert_path.write_bytes(cert_pem)
        result = {"certificate": str(cert_path), "key": str(key_path), "thumbprint": thumbprint}
        self.stdout.write(json.dumps(result) if options["json"] else "\n".join(f"{k}: {v}" for k, v in result.items()))
