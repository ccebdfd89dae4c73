"""OAuth2 client registrations: django-oauth-toolkit's application, with this project's policy."""

from django.core.exceptions import ValidationError
from django.db import models
from oauth2_provider.models import AbstractApplication

from oauth.redirects import allowed_schemes, redirect_uri_problem


class OAuthApplication(AbstractApplication):
    """An OAuth2 client (OAUTH2_PROVIDER_APPLICATION_MODEL), allowed only the grants RFC 9700 keeps.

    The toolkit's own model, swapped in at the start of the project (swapping later means
    migrating every token table) to add two columns: `first_party`, which the legacy password
    grant requires, and `introspection_allowed`, which /o/introspect/ requires.
    """

    first_party = models.BooleanField(
        default=False,
        help_text=(
            "An app this organisation builds and ships itself. Only a confidential first-party app may "
            "use the legacy password grant, and only while OAUTH2_ALLOW_PASSWORD_GRANT is on."
        ),
    )

    introspection_allowed = models.BooleanField(
        default=False,
        help_text=(
            "A resource server: may ask /o/introspect/ about any token (RFC 7662 §4). Confidential "
            "clients only; others get 403 there, as unauthenticated callers do."
        ),
    )

    # RS256 by default: with the toolkit's default (no algorithm), a client asking for the
    # advertised `openid` scope would make the token endpoint fail to sign its ID token.
    algorithm = models.CharField(
        max_length=5,
        choices=AbstractApplication.ALGORITHM_TYPES,
        default=AbstractApplication.RS256_ALGORITHM,
        blank=True,
        verbose_name="algorithm",
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = "OAuth2 application"

    def get_allowed_schemes(self) -> list[str]:
        # Per application, not one global setting (RFC 8252): https for every client; a native
        # app's loopback http and private-use scheme only where its own URIs pass the policy.
        return allowed_schemes(self.redirect_uris.split(), public=self.client_type == self.CLIENT_PUBLIC)

    def clean(self) -> None:
        # RFC 8252 and RFC 9700 §2.1: say exactly why a redirect URI is refused; the toolkit's
        # own check would only report `invalid_scheme` for the same URIs.
        problems = [
            f"{uri} {problem}."
            for uri in self.redirect_uris.split()
            if (problem := redirect_uri_problem(uri, public=self.client_type == self.CLIENT_PUBLIC))
        ]
        errors: dict = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if problems:
            errors["redirect_uris"] = problems  # in place of the toolkit's bare invalid_scheme
        if errors:
            raise ValidationError(errors)
        # RFC 6749 §2.1: a public client cannot keep a secret, so it is given none (the toolkit
        # generates one for every app); client authentication refuses it without hashing. Not
        # hashing "" keeps the column empty rather than an Argon2 hash of nothing.
        if self.client_type == self.CLIENT_PUBLIC:
            self.client_secret, self.hash_client_secret = "", False
        # RFC 9700 §2.1.2: no implicit grant; the OIDC hybrid flow also returns tokens
        # in the front channel, so it goes with it.
        if self.authorization_grant_type in (self.GRANT_IMPLICIT, self.GRANT_OPENID_HYBRID):
            raise ValidationError(
                {"authorization_grant_type": "Use the authorization code grant with PKCE (RFC 9700 §2.1.2)."}
            )
        if self.authorization_grant_type == self.GRANT_DEVICE_CODE:
            raise ValidationError({"authorization_grant_type": "This server does not offer the device flow."})
        # RFC 9700 §2.4: the password grant MUST NOT be used; kept only for first-party confidential apps.
        if self.authorization_grant_type == self.GRANT_PASSWORD and not self.may_use_password_grant:
            raise ValidationError(
                {"authorization_grant_type": "The password grant is for confidential first-party apps only."}
            )
        # RFC 6749 §4.4: client credentials authenticate the client itself, so it needs a secret.
        if (
            self.authorization_grant_type == self.GRANT_CLIENT_CREDENTIALS
            and self.client_type != self.CLIENT_CONFIDENTIAL
        ):
            raise ValidationError({"client_type": "The client credentials grant needs a confidential client."})
        # RFC 8252 §8.6: consent is skipped only for the operator's own apps.
        if self.skip_authorization and not self.first_party:
            raise ValidationError({"skip_authorization": "Only a first-party app may skip the consent page."})
        # RFC 7662 §2.1: the resource server authenticates to the introspection endpoint.
        if self.introspection_allowed and self.client_type != self.CLIENT_CONFIDENTIAL:
            raise ValidationError(
                {"introspection_allowed": "Only a confidential client can authenticate to introspect."}
            )

    @property
    def may_use_password_grant(self) -> bool:
        """Return whether this app could use the password grant if the setting allowed it."""
        return self.first_party and self.client_type == self.CLIENT_CONFIDENTIAL
