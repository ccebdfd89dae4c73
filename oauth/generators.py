"""The toolkit's generators: RFC 9068 JWT access tokens, and client secrets of 256 random bits."""

from django.conf import settings
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest

from dpop.oauth import request_dpop_jkt
from oauth.access_tokens import access_token_claims, access_token_encode
from oauth.hashers import generate_client_secret
from oauth.signing_key import signing_key, signing_kid
from transport.client_cert import certificate_confirmation


def access_token_generator(request: OAuthlibRequest, refresh_token: bool = False) -> str:
    """Return a signed access token for the grant oauthlib is completing.

    oauthlib calls this after validating the grant, so `request.client`, `request.user` and
    `request.scopes` are final. The toolkit then stores only the SHA-256 of the result
    (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE), which is what introspection and revocation look up.
    """
    # The toolkit clears `user` for client credentials only when saving; no person is involved.
    user = None if request.grant_type == "client_credentials" else request.user
    claims = access_token_claims(
        # The same issuer as the ID token's: OIDC_ISS_ENDPOINT (OAUTH2_ISSUER) or this request's /o.
        issuer=oauth2_settings.oidc_issuer(request),
        audience=settings.JWT_AUDIENCE,  # this API, whichever server issued the token
        client_id=request.client.client_id,
        scopes=list(request.scopes),
        lifetime=request.expires_in,
        user_id=str(user.pk) if user is not None else None,
        username=user.get_username() if user is not None else "",
        cnf=_confirmation(request),
    )
    return access_token_encode(claims, key=signing_key(), kid=signing_kid())


def _confirmation(request: OAuthlibRequest) -> dict[str, str] | None:
    """Return the `cnf` of a new token: its DPoP key (RFC 9449 §6.1), its client certificate (RFC 8705 §3.1)."""
    cnf = {"jkt": jkt} if (jkt := request_dpop_jkt(request)) else {}
    # oauthlib's headers are a copy of the Django request's META (the toolkit's extract_headers).
    cnf |= certificate_confirmation(request.headers) or {}
    return cnf or None


class ClientSecretGenerator:
    """The toolkit's CLIENT_SECRET_GENERATOR_CLASS: 256-bit secrets the fast hasher recognises."""

    def hash(self) -> str:
        return generate_client_secret()
