"""Anonymous signup tokens: `Authorization: Bearer <JWT>` whose token_type is "anonymous"."""

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication
from rest_framework.request import Request

from accounts.jwt_codec import TokenInvalid, jwt_decode, unverified_token_type
from apiproject.authorization import authorization_credential
from apiproject.identity import request_app
from clients.exceptions import ClientMismatch, ClientRequired
from dpop.binding import SCHEME as DPOP_SCHEME
from dpop.binding import cnf_jkt, token_binding_check
from dpop.exceptions import CHALLENGE as DPOP_CHALLENGE
from signup.exceptions import InvalidAnonymousToken
from signup.selectors import anonymous_token_consumed

TOKEN_TYPE = "anonymous"


class AnonymousTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates a short-lived anonymous token, issued for a solved captcha; never a user.

    Only the signup views and whoami list this class, so the token opens nothing else; and the
    user schemes (JWTAuthentication) refuse its token_type everywhere. `request.user` stays an
    AnonymousUser, so IsAuthenticated refuses it too; `request.auth` holds the verified claims.
    It must come after the app-identity schemes: the token is bound to the app it was issued to.
    """

    keyword = "Bearer"
    scheme_name = "anonymous"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, dict] | None:
        found = authorization_credential(request, self.keyword, DPOP_SCHEME)
        if found is None:
            return None
        scheme, token = found
        # Unverified, only to choose the scheme: a user's access token is another scheme's to
        # judge. Whatever the token claims here, jwt_decode then verifies it as anonymous or fails.
        if unverified_token_type(token) != TOKEN_TYPE:
            return None
        try:
            claims = jwt_decode(token, token_type=TOKEN_TYPE)
        except TokenInvalid as exc:
            raise InvalidAnonymousToken() from exc
        app = request_app(request)
        if app is None:
            raise ClientRequired()
        # A token lifted from one app cannot be spent under another app's key (and limits).
        if claims["client_id"] != app.client_id:
            raise ClientMismatch()
        if anonymous_token_consumed(jti=claims["jti"]):
            raise InvalidAnonymousToken()
        # A token issued with a DPoP proof (API.md §12) only with a proof by the same key.
        token_binding_check(request, scheme=scheme, token=token, jkt=cnf_jkt(claims))
        return AnonymousUser(), claims

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api", {DPOP_CHALLENGE}'
