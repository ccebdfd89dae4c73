"""Create the demo users, the demo app and a few purchases; print their credentials. Idempotent."""

import json
import os
import secrets
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from clients.crypto import key_id_digest
from clients.models import ApiClient, ApiKey
from clients.services import api_key_issue
from oauth.models import OAuthApplication
from purchases.models import Purchase

DEMO_CLIENT_ID = "demo"
# The public OAuth2 client Swagger UI signs in as (SPECTACULAR_SETTINGS["SWAGGER_UI_OAUTH2_CONFIG"]).
SWAGGER_UI_CLIENT_ID = "swagger-ui"


class Command(BaseCommand):
    help = "Create demo data for local development and print the demo credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--force", action="store_true", help="run even when DJANGO_DEBUG is off")
        parser.add_argument(
            "--site-url",
            action="append",
            help="where the server is reached, for Swagger UI's OAuth2 redirect URI (repeatable; "
            "default http://127.0.0.1:$PORT, PORT defaulting to 8000; RFC 8252 §8.3 wants the IP, not localhost)",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates well-known credentials; it runs only with DJANGO_DEBUG=1.")
        # The credentials are kept in var/ (git-ignored, owner-only) so that a second run can
        # print them again; the database itself holds only digests and ciphertext.
        path = Path(settings.VAR_DIR) / "demo-credentials.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        port = os.environ.get("PORT", "8000")
        sites = options["site_url"] or [f"http://127.0.0.1:{port}"]
        with transaction.atomic():
            credentials = self._seed(saved)
            credentials["swagger_client_id"] = self._swagger_ui_app(sites)
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
        if not key_id or not ApiKey.objects.usable().filter(key_id_digest=key_id_digest(key_id)).exists():
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

    def _swagger_ui_app(self, sites: list[str]) -> str | None:
        """Register Swagger UI as a public client (PKCE, no secret) redirecting to its own page.

        Return its client_id, or None (with a warning) where the sites' URLs are not allowed as
        redirect URIs, such as http outside debug.
        """
        redirects = [f"{site.rstrip('/')}/api/docs/oauth2-redirect.html" for site in sites]
        app = OAuthApplication.objects.filter(client_id=SWAGGER_UI_CLIENT_ID).first() or OAuthApplication(
            client_id=SWAGGER_UI_CLIENT_ID,
            name="Swagger UI",
            client_type=OAuthApplication.CLIENT_PUBLIC,
            authorization_grant_type=OAuthApplication.GRANT_AUTHORIZATION_CODE,
        )
        known = app.redirect_uris.split()
        app.redirect_uris = " ".join(known + [uri for uri in redirects if uri not in known])
        try:
            app.full_clean()
        except ValidationError as exc:
            self.stderr.write(f"Swagger UI's OAuth2 client not registered: {'; '.join(exc.messages)}")
            return None
        app.save()
        return app.client_id

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
