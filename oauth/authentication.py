"""OAuth2 access tokens: `Authorization: Bearer <RFC 9068 JWT>` from the server at /o/.

The last Bearer scheme: JWTAuthentication, before it, verifies this API's own JWTs and passes
on the tokens typed `at+jwt` that another key signed. Whatever reaches this class with a
Bearer header is verified here, so a Bearer token that neither class accepts gets 401.
"""

from django.conf import settings
from rest_framework import authentication
from rest_framework.request import Request

from accounts.models import User
from accounts.tokens import InvalidToken
from accounts.user_cache import token_user, token_user_read
from apiproject.authorization import authorization_credential
from apiproject.generations import GenerationRead
from apiproject.identity import AppIdentity, request_app, set_app
from clients.exceptions import ClientMismatch
from dpop.binding import SCHEME as DPOP_SCHEME
from dpop.binding import token_binding_check
from dpop.exceptions import CHALLENGE as DPOP_CHALLENGE
from oauth.access_tokens import AccessTokenClaims, AccessTokenInvalid
from oauth.resource_server import access_token_verify
from transport.client_cert import certificate_binding_holds


def _reads_users() -> bool:
    # Only the authorization server's own process (mode `local`) has the user table.
    return settings.OAUTH2_RESOURCE_SERVER_MODE == "local"


class OAuth2Authentication(authentication.BaseAuthentication):
    """Authenticates an OAuth2 access token and, by its `client_id`, the app that holds it.

    The token is checked as OAUTH2_RESOURCE_SERVER_MODE says (by default with the server's own
    public key, no I/O), then, on the authorization server, its user is read by primary key: a
    deactivated or deleted user's token gets 401 at once. A revoked token of an active user
    keeps working here until it expires (5 minutes); the introspection mode trades a call per
    request for stopping it at once (docs/oauth2.md).

    The token names its app, so no API key is needed. If an API key or a signature names one
    too, it must be the same client_id, or the request gets 401 `client_mismatch`. The verified
    claims are kept as `request.oauth2_token`, which TokenHasScope reads.

    A client credentials token has no user: like an API key it identifies the app and returns
    None, so endpoints that need a person answer 401, as for any app without a user.
    """

    keyword = "Bearer"
    scheme_name = "oauth2"

    def authenticate(self, request: Request) -> tuple[User, AccessTokenClaims] | None:
        found = authorization_credential(request, self.keyword, DPOP_SCHEME)
        if found is None:
            return None
        scheme, token = found
        try:
            claims = access_token_verify(token, request=request._request)
        except AccessTokenInvalid as exc:
            raise InvalidToken() from exc
        app = request_app(request)
        if app is None:
            set_app(request, AppIdentity(client_id=claims.client_id, scheme=self.scheme_name))
        elif app.client_id != claims.client_id:
            raise ClientMismatch()
        # RFC 9449 §7.1: a DPoP-bound token (cnf.jkt) only with a proof by its key. The user's
        # tags (accounts.user_cache) ride the proof's round trip, if there is one.
        read = token_user_read(claims.subject) if claims.has_user and _reads_users() else None
        token_binding_check(request, scheme=scheme, token=token, jkt=claims.jkt, rider=read.rider if read else None)
        if not certificate_binding_holds(claims.x5t_s256, request._request.META):
            raise InvalidToken()  # RFC 8705 §3: bound to a client certificate this request lacks
        request._request.oauth2_token = claims
        if not claims.has_user:
            return None
        return self._user(request, claims, read), claims

    @staticmethod
    def _user(request: Request, claims: AccessTokenClaims, read: GenerationRead | None) -> User:
        """Return the token's user; on the authorization server only if still active, else 401.

        In the default `local` mode this process shares the authorization server's user table
        (accounts.user_cache: a copy checked against the shared store on every request), so a
        deactivated or deleted user's token is refused at once. A
        separate resource server (`jwks`, `introspection`) has no such table: it builds the user
        from the claims, without a query (introspection learns of a deactivation from the
        server, whose revocation deletes the user's tokens; JWKS mode only at expiry).
        """
        if _reads_users():
            user = token_user(request, claims.subject, read=read)
            if user is None:
                raise InvalidToken()
            return user
        if not (claims.subject.isascii() and claims.subject.isdigit()) or not claims.username:
            raise InvalidToken()
        return User.from_db(User.objects.db, ["id", "username"], [int(claims.subject), claims.username])

    def authenticate_header(self, request: Request) -> str:
        # RFC 6750 §3.
        return f'{self.keyword} realm="api", {DPOP_CHALLENGE}'
