"""The toolkit's request validator, taught attestation-based client authentication at /o/token/."""

from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from apiproject.exceptions import ServiceUnavailable
from attestation.exceptions import InvalidClientAttestation
from attestation.selectors import client_has_attester
from attestation.services import attestation_headers_present, attestation_verify, pop_jti_accept
from oauth.validators import OAuth2Validator


class InvalidClientAttestationError(errors.InvalidClientError):
    """Draft -11 §7.4's error at the token endpoint: 401, with API.md's `code` beside RFC 6749's `error`."""

    error = "invalid_client_attestation"

    @property
    def twotuples(self) -> list[tuple[str, str]]:
        return [*super().twotuples, ("code", self.error)]


class AttestationUnavailableError(errors.TemporarilyUnavailableError):
    status_code = 503


class AttestationOAuth2Validator(OAuth2Validator):
    """The project's validator; a public client with an attester authenticates by attestation.

    oauthlib asks `authenticate_client_id` of every client that sent no secret, that is of
    public clients (RFC 6749 §3.2.1), at the token, revocation and introspection endpoints.
    There a request carrying `OAuth-Client-Attestation` must prove it (draft -11 §7.5), and a
    public client that has an attester registered must send one: an attester is registered
    precisely so that a copied client_id alone no longer gets tokens.
    """

    def client_authentication_required(self, request: OAuthlibRequest, *args, **kwargs) -> bool:
        # Draft -11 §7.5 makes client_id optional beside an attestation, whose `sub` names the
        # client; without one the toolkit would find no client and demand a secret.
        if not request.client_id and attestation_headers_present(request.headers):
            return False
        return super().client_authentication_required(request, *args, **kwargs)

    def authenticate_client_id(self, client_id: str, request: OAuthlibRequest, *args, **kwargs) -> bool:
        if attestation_headers_present(request.headers):
            client_id = self._attested_client_id(client_id, request)
        if not super().authenticate_client_id(client_id, request, *args, **kwargs):
            return False
        if not attestation_headers_present(request.headers) and client_has_attester(application=request.client):
            raise InvalidClientAttestationError(description="This client authenticates with a client attestation.")
        return True

    def _attested_client_id(self, client_id: str | None, request: OAuthlibRequest) -> str:
        try:
            attested = attestation_verify(
                meta=request.headers,
                kind="application",
                client_id=client_id or None,
                audience=oauth2_settings.oidc_issuer(request),
            )
            pop_jti_accept(attested=attested)
        except InvalidClientAttestation as exc:
            raise InvalidClientAttestationError(description=str(exc.detail), request=request) from exc
        except ServiceUnavailable as exc:  # the attester's JWKS or the replay store is down
            raise AttestationUnavailableError(description=str(exc.detail), request=request) from exc
        return attested.app.client_id
