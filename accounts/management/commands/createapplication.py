"""`createapplication`: the toolkit's command, plus --first-party, --introspection, --require-dpop and a
non-zero exit on bad input."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from oauth2_provider.generators import generate_client_id
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

    def handle(self, *args, **options) -> None:
        # The toolkit prints validation errors and exits 0; like this project's other commands,
        # refuse bad input with a non-zero exit before handing over.
        model = get_application_model()
        # Chosen here, so that --require-dpop knows which app the toolkit's handle() creates.
        options["client_id"] = options.get("client_id") or generate_client_id()
        fields = {field.name for field in model._meta.fields}
        data = {
            ("user_id" if key == "user" else key): value
            for key, value in options.items()
            if key in fields and (isinstance(value, bool) or value)
        }
        try:
            model(**data).full_clean()
        except ValidationError as exc:
            messages = (f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError("; ".join(messages)) from exc
        super().handle(*args, **options)
        if options["require_dpop"] and model.objects.filter(client_id=options["client_id"]).exists():
            dpop_requirement_set(client_id=options["client_id"])
