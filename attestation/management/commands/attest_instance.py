"""Development only: sign a Client Attestation with the reference attester (never in production)."""

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError, CommandParser

from attestation import reference_attester


class Command(BaseCommand):
    help = (
        "Sign a Client Attestation for an instance's public JWK with a development attester key "
        "(created, with FILE.pub.pem beside it, if FILE does not exist). It vouches for any key: "
        "for development and tests only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id")
        parser.add_argument("--attester-key", required=True, metavar="FILE.pem", help="the attester's private key")
        parser.add_argument("--instance-jwk", required=True, metavar="JSON", help="the instance's public JWK")
        parser.add_argument("--lifetime", type=int, default=3600, help="seconds [3600]")

    def handle(self, *args, **options) -> None:
        path = Path(options["attester_key"])
        try:
            instance_jwk = json.loads(options["instance_jwk"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--instance-jwk is not JSON: {exc}") from exc
        if not isinstance(instance_jwk, dict):
            raise CommandError("--instance-jwk must be a JSON object")
        if not path.exists():
            key = reference_attester.attester_key_generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            path.write_bytes(pem)
            path.chmod(0o600)
            path.with_suffix(".pub.pem").write_text(reference_attester.attester_public_pem(key))
            self.stderr.write(f"Created {path} and {path.with_suffix('.pub.pem')} (register the latter).")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise CommandError(f"{path} is not an unencrypted PEM private key: {exc}") from exc
        try:
            token = reference_attester.attestation_issue(
                key=key, client_id=options["client_id"], instance_jwk=instance_jwk, lifetime=options["lifetime"]
            )
        except (TypeError, ValueError) as exc:
            raise CommandError(f"Cannot sign with {path}: {exc}") from exc
        self.stdout.write(token)
