"""The toolkit's request validator, with this project's grant policy and OpenID Connect claims."""

import json

from django.conf import settings
from django.db import transaction
from jwcrypto import jws
from jwcrypto.common import JWException
from oauth2_provider import oauth2_validators
from oauth2_provider.models import get_refresh_token_model
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors
from rest_framework.exceptions import APIException

from accounts.exceptions import InvalidCredentials, TooManyLoginAttempts
from accounts.selectors import user_lock
from accounts.services.login import credentials_check
from dpop import oauth as dpop
from oauth.client_auth import (
    TooManyClientAuthentications,
    client_auth_budget_check,
    client_auth_failure_record,
    dummy_secret_check,
    presented_credentials,
    verifies_cheaply,
)
from oauth.lifecycle import GrantNoLongerValid, refresh_token_user_id, token_request_still_valid
from oauth.models import OAuthApplication


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
    - DPoP (RFC 9449 §5, dpop.oauth): proofs required where the app says so, refresh families
      bound to the proof's key, `token_type: DPoP` for bound tokens.
    - Refresh tokens and codes (oauth.lifecycle): a deactivated user's are refused
      (`invalid_grant`), and every rotation runs under the user's row lock, like every
      revocation, so of concurrent refreshes with one token exactly one wins and none
      outlives a logout-all, a password change or a reuse detection.
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
        if not super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs):
            return False
        dpop.grant_check(request)
        return True

    def _create_refresh_token(self, request: OAuthlibRequest, refresh_token_code: str, *args, **kwargs):
        refresh_token = super()._create_refresh_token(request, refresh_token_code, *args, **kwargs)
        dpop.refresh_token_bind(request, token_family=refresh_token.token_family)
        return refresh_token

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

    def authenticate_client(self, request: OAuthlibRequest, *args, **kwargs) -> bool:
        """Authenticate a confidential client by its secret, within its failure budgets (API.md §6).

        Every caller of client authentication (the token, revocation and introspection
        endpoints) comes through here:

        1. the client_id's and the IP's failure budgets are checked first (429 when spent), so
           no secret is hashed slowly for a caller who has already failed too often; over
           budget, a generated secret (one HMAC to check) that matches still gets in;
        2. a public client has no secret: a request that presents one fails without hashing;
        3. an unknown client_id hashes a dummy secret, so it costs what a known one costs;
        4. each failure is counted against both budgets; successes are not;
        5. the secret is checked by the one method presented_credentials read (Basic or the
           form body), never by the toolkit's fallback from a failed Basic to the body: the
           client whose secret is checked is the one the budgets count.
        """
        http_request = self.build_http_request(request)
        client_id, secret, basic = presented_credentials(http_request)
        client = self._load_application(client_id, request) if client_id_shaped(client_id) else None
        try:
            client_auth_budget_check(request=http_request, client_id=client_id)
        except TooManyClientAuthentications:
            # Over budget, only a generated secret that matches gets through: its check costs
            # one HMAC, so the budget has nothing to protect, and the rightful client is not
            # locked out by other people's failures (same IP, or aimed at its client_id).
            confidential = client is not None and client.client_type == OAuthApplication.CLIENT_CONFIDENTIAL
            if not (confidential and verifies_cheaply(encoded=client.client_secret, secret=secret)):
                raise
        if client is None:
            dummy_secret_check(secret)
            authenticated = False
        elif client.client_type != OAuthApplication.CLIENT_CONFIDENTIAL:
            authenticated = False  # RFC 6749 §2.1: a public client cannot authenticate
        else:
            # The toolkit's authenticate_client, without its fallback from Basic to the body.
            authenticated = (
                self._authenticate_basic_auth(request) if basic else self._authenticate_request_body(request)
            )
        if not authenticated:
            client_auth_failure_record(request=http_request, client_id=client_id)
        return authenticated

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

    def validate_refresh_token(
        self, refresh_token: str, client: OAuthApplication, request: OAuthlibRequest, *args, **kwargs
    ) -> bool:
        user_id = refresh_token_user_id(refresh_token)
        if user_id is None:
            return False
        # Under the user's row lock: the toolkit's reuse detection (revoke_family) must not
        # miss a successor being rotated in at this moment.
        with transaction.atomic():
            user = user_lock(user_id=user_id)
            valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if not (valid and user is not None and user.is_active):
            return False
        dpop.refresh_check(request, token_family=request.refresh_token_instance.token_family)
        return True

    def save_bearer_token(self, token: dict, request: OAuthlibRequest, *args, **kwargs) -> None:
        self._bearer_token_save_under_user_lock(token, request, *args, **kwargs)
        dpop.token_response_type(token, request)

    def _bearer_token_save_under_user_lock(self, token: dict, request: OAuthlibRequest, *args, **kwargs) -> None:
        user = getattr(request, "user", None)
        if user is None or request.grant_type == "client_credentials":
            super().save_bearer_token(token, request, *args, **kwargs)
            return
        with transaction.atomic():
            locked = user_lock(user_id=user.pk)
            if token_request_still_valid(request, user=locked):
                super().save_bearer_token(token, request, *args, **kwargs)
                return
            presented = getattr(request, "refresh_token_instance", None)
            if presented is not None and presented.token_family:
                # A concurrent refresh won with this token: the loser presented a dead token,
                # which is reuse, as in the toolkit's own check (RFC 9700 §4.14.2).
                get_refresh_token_model().revoke_family(presented.token_family)
        raise GrantNoLongerValid(request=request)
