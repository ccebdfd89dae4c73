"""Create the demo users, the demo app and a few purchases; print their credentials. Idempotent."""

import json
import secrets
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import crypto
from accounts.models import ApiClient, ApiKey, User
from accounts.services import api_key_issue
from purchases.models import Purchase

DEMO_CLIENT_ID = "demo"


class Command(BaseCommand):
    help = "Create demo data for local development and print the demo credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--force", action="store_true", help="run even when DJANGO_DEBUG is off")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates well-known credentials; it runs only with DJANGO_DEBUG=1.")
        # The credentials are kept in var/ (git-ignored, owner-only) so that a second run can
        # print them again; the database itself holds only digests and ciphertext.
        path = Path(settings.VAR_DIR) / "demo-credentials.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        with transaction.atomic():
            credentials = self._seed(saved)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(json.dumps(credentials, indent=2))
        if options["json"]:
            self.stdout.write(json.dumps(credentials))
        else:
            self.stdout.write("Demo credentials (development only):")
            for name, value in credentials.items():
                self.stdout.write(f"  {name:16} {value}")

    def _seed(self, saved: dict) -> dict:
        demo = self._user("demo", saved.get("demo_password"), staff=False)
        admin = self._user("admin", saved.get("admin_password"), staff=True)
        client, _ = ApiClient.objects.get_or_create(client_id=DEMO_CLIENT_ID, defaults={"name": "Demo app"})
        key_id, secret = saved.get("key_id"), saved.get("secret")
        if not key_id or not ApiKey.objects.usable().filter(key_id_digest=crypto.key_id_digest(key_id)).exists():
            _, key_id, secret = api_key_issue(client=client)
        if not demo.purchases.exists():
            Purchase.objects.create(owner=demo, item="Coffee beans", quantity=2, unit_price=Decimal("12.50"))
            Purchase.objects.create(owner=demo, item="Grinder", quantity=1, unit_price=Decimal("89.00"))
        return {
            "username": demo.username,
            "demo_password": demo._password_shown,
            "admin_username": admin.username,
            "admin_password": admin._password_shown,
            "client_id": client.client_id,
            "key_id": key_id,
            "secret": secret,
        }

    def _user(self, username: str, password: str | None, *, staff: bool) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": staff, "is_superuser": staff, "email": f"{username}@example.com"}
        )
        if created or not password or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
        user._password_shown = password
        return user
