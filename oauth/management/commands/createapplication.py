"""`createapplication`: the toolkit's command, plus --first-party, --introspection, --require-dpop, --json;
bad input exits non-zero."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from oauth2_provider.management.commands import createapplication
from oauth2_provider.models import get_application_model

from dpop.services import dpop_requirement_set


class Command(createapplication.Command):
    help = "Register an OAuth2 application (client). Prints a generated client secret once."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        # The toolkit's handle() copies every option named after a model field onto the new app.
        parser.add_argument(
            "--first-party",
            dest="first_party",
            action="store_true",
            help="An app this organisation ships itself (needed for the legacy password grant).",
        )
        parser.add_argument(
            "--introspection",
            dest="introspection_allowed",
            action="store_true",
            help="A resource server, allowed to call /o/introspect/ (confidential clients only).",
        )
        parser.add_argument(
            "--require-dpop",
            action="store_true",
            help="Issue this app DPoP-bound tokens only: every token request needs a DPoP proof (RFC 9449).",
        )
        parser.add_argument("--json", action="store_true", help='print {"client_id", "client_secret"} as JSON')

    def handle(self, *args, **options) -> None:
        # The toolkit prints validation errors and exits 0; like this project's other commands,
        # refuse bad input with a non-zero exit before handing over.
        model = get_application_model()
        fields = {field.name for field in model._meta.fields}
        data = {
            ("user_id" if key == "user" else key): value
            for key, value in options.items()
            if key in fields and (isinstance(value, bool) or value)
        }
        application = model(**data)
        try:
            application.full_clean()
        except ValidationError as exc:
            messages = (f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError("; ".join(messages)) from exc
        # The model hashes the secret on save: keep the clear value to show it once.
        secret = application.client_secret
        application.save()
        if options["require_dpop"]:
            dpop_requirement_set(client_id=application.client_id)
        credentials = {"client_id": application.client_id}
        # A public client cannot keep a secret, so none is shown (RFC 6749 §2.1); it uses PKCE.
        if application.client_type == model.CLIENT_CONFIDENTIAL:
            credentials["client_secret"] = secret
        if options["json"]:
            self.stdout.write(json.dumps(credentials))
            return
        self.stdout.write(self.style.SUCCESS(f"New application {application.name or application.client_id} created."))
        for name, value in credentials.items():
            self.stdout.write(f"{name}: {value}")
        if "client_secret" in credentials:
            self.stdout.write("The client secret is shown once; store it now.")
