"""The toolkit's request validator, with this project's grant policy and OpenID Connect claims."""

import json

from django.conf import settings
from jwcrypto import jws
from jwcrypto.common import JWException
from oauth2_provider import oauth2_validators
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors
from rest_framework.exceptions import APIException

from accounts.exceptions import InvalidCredentials, TooManyLoginAttempts
from accounts.models import OAuthApplication
from accounts.services.sessions import credentials_check


def password_grant_allowed(client: OAuthApplication | None) -> bool:
    """Return whether this client may use the legacy password grant right now."""
    return bool(
        settings.OAUTH2_ALLOW_PASSWORD_GRANT
        and client is not None
        and client.may_use_password_grant
        and client.allows_grant_type(OAuthApplication.GRANT_PASSWORD)
    )


def client_id_shaped(value: object) -> bool:
    """Return whether `value` could be a stored client_id: a string of 1-255 characters, no NUL."""
    return isinstance(value, str) and 0 < len(value) <= 255 and "\x00" not in value


class OAuth2Validator(oauth2_validators.OAuth2Validator):
    """django-oauth-toolkit's validator, narrowed to the grants RFC 9700 keeps.

    - Authorization endpoint: `response_type=code` only (no implicit, no hybrid).
    - Password grant: only with OAUTH2_ALLOW_PASSWORD_GRANT, for confidential first-party apps,
      and through the same brute-force budget as every other password login.
    - OpenID Connect: the `profile` scope releases `preferred_username`.
    """

    def validate_response_type(
        self, client_id: str, response_type: str, client: OAuthApplication, request: OAuthlibRequest, *args, **kwargs
    ) -> bool:
        # RFC 9700 §2.1.2: tokens never travel in the front channel, so only the code flow.
        return response_type == "code" and super().validate_response_type(
            client_id, response_type, client, request, *args, **kwargs
        )

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: OAuthApplication, request: OAuthlibRequest, *args, **kwargs
    ) -> bool:
        if grant_type == "password" and not password_grant_allowed(request.client):
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_user(
        self, username: str, password: str, client: OAuthApplication, request: OAuthlibRequest, *args, **kwargs
    ) -> bool:
        # oauthlib checks the password *before* the grant type, so without this first test any
        # registered client, public ones included, could use the token endpoint to guess passwords.
        if not password_grant_allowed(client):
            return False
        try:
            user = credentials_check(request=self.build_http_request(request), username=username, password=password)
        except (InvalidCredentials, TooManyLoginAttempts):
            return False  # invalid_grant; the failure was counted and audited like any other login
        except APIException as exc:  # the rate-limit store is down: refuse rather than check unmetered
            raise errors.TemporarilyUnavailableError(request=request) from exc
        request.user = user
        return True

    def _get_key_for_token(self, token: str):
        """Return the key of the application a JWT's unverified `aud` names, or None.

        The toolkit's own version (for Bearer JWTs at /o/introspect/) decodes the unverified
        payload as UTF-8 JSON and looks `aud` up as it comes, so a payload that is not UTF-8,
        not JSON, not an object, or whose `aud` holds a NUL, an integer or an object raised
        (500) instead of failing the token (401). Here anything but a string or a list of
        strings that a client_id column could hold is simply not our token.
        """
        try:
            unverified = jws.JWS()
            unverified.deserialize(token)
            claims = json.loads(unverified.objects["payload"])
        except (JWException, ValueError, TypeError, KeyError):  # ValueError covers bad UTF-8 and huge ints
            return None
        audience = claims.get("aud") if isinstance(claims, dict) else None
        audience = [audience] if isinstance(audience, str) else audience
        if (
            not isinstance(audience, list)
            or not 0 < len(audience) <= 10
            or not all(client_id_shaped(aud) for aud in audience)
        ):
            return None
        application = self._get_client_by_audience(audience)
        return application.jwk_key if application else None

    def get_additional_claims(self, request: OAuthlibRequest) -> dict[str, str]:
        # Released by the `profile` scope (oidc_claim_scope), in the ID token and at /o/userinfo/.
        return {"preferred_username": request.user.get_username()}
