"""How a user is recognised: session tokens (`Token`), JWTs (`Bearer`, `DPoP`) and browser sessions."""

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication
from rest_framework.request import Request
from rest_framework_simplejwt import authentication as simplejwt_authentication
from rest_framework_simplejwt.exceptions import TokenError

from accounts import jwt_codec
from accounts.exceptions import InvalidSessionToken
from accounts.models import LoginSession, User
from accounts.selectors import login_session_by_token
from accounts.services.login import login_session_touch
from accounts.tokens import AccessToken, InvalidToken
from accounts.user_cache import token_user, token_user_read
from apiproject.authorization import MalformedAuthorization, authorization_credential, authorization_credentials
from apiproject.exceptions import MalformedCredentials
from apiproject.generations import GenerationRead
from apiproject.identity import request_app
from clients.exceptions import ClientMismatch
from dpop.binding import SCHEME as DPOP_SCHEME
from dpop.binding import cnf_jkt, token_binding_check
from dpop.exceptions import CHALLENGE as DPOP_CHALLENGE
from transport.client_cert import certificate_binding_holds, cnf_thumbprint

TOKEN_MAX_LENGTH = 128  # issued tokens are 43 characters; anything far longer is not ours
MALFORMED = "Authorization: Bearer (or DPoP) takes exactly one ASCII token."


class SessionTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates the user of a login session by its bearer token.

    One indexed query per request (the token's digest, joined to its user), with no cache in
    front, so a revoked token is refused by every worker process from the next request on.
    `request.auth` is the LoginSession.
    """

    keyword = "Token"
    scheme_name = "token"

    def authenticate(self, request: Request) -> tuple[User, LoginSession] | None:
        found = authorization_credential(request, self.keyword, max_length=TOKEN_MAX_LENGTH)
        if found is None:
            return None
        _, token = found
        return self.authenticate_credentials(request, token)

    def authenticate_credentials(self, request: Request, token: str) -> tuple[User, LoginSession]:
        session = login_session_by_token(token)
        now = timezone.now()
        # Unknown, revoked, expired and idle tokens and inactive users all read the same.
        if (
            session is None
            or not session.is_live(now=now, idle_timeout=settings.LOGIN_SESSION_IDLE_TIMEOUT)
            or not session.user.is_active
        ):
            raise InvalidSessionToken()
        # A token belongs to the app the user signed in through (as JWTs do, section 5), so a
        # token lifted from one app cannot be replayed under another app's key.
        app = request_app(request)
        if app is not None and app.client_id != session.client_id:
            raise ClientMismatch()
        login_session_touch(session=session)
        return session.user, session

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class JWTAuthentication(simplejwt_authentication.JWTAuthentication):
    """Authenticates the user named by a JWT access token, bound to the app presenting it.

    The app must identify itself as well (X-Api-Key or a signature, handled before this class);
    a token obtained by another app gets 401 `client_mismatch`. The signature is checked
    without I/O; the user is then this worker's copy of their row, checked against the shared
    store on every request (accounts.user_cache), so a deactivated or deleted user's access
    token gets 401 at once (docs/jwt.md).
    """

    scheme_name = "jwt"
    www_authenticate_realm = "api"
    user_model = User

    def __init__(self) -> None:
        # simplejwt looks the user model up on every instantiation (every request); get_user
        # below builds the user from the token and never uses it.
        pass

    def authenticate(self, request: Request) -> tuple[User, AccessToken] | None:
        found = self._raw_token(request)
        if found is None:
            return None  # another scheme (Key, Token, Basic, ...)
        scheme, raw_token = found
        try:
            token = self.get_validated_token(raw_token)
        except jwt_codec.ForeignToken:
            return None  # an OAuth2 access token: OAuth2Authentication's to verify
        app = request_app(request)
        if app is not None and app.client_id != token["client_id"]:
            raise ClientMismatch()
        read = token_user_read(token["sub"])  # the user's tags ride the DPoP proof's round trip, if any
        rider = read.rider if read else None
        token_binding_check(
            request, scheme=scheme, token=raw_token.decode("ascii"), jkt=cnf_jkt(token.payload), rider=rider
        )
        if not certificate_binding_holds(cnf_thumbprint(token.payload), request._request.META):
            raise InvalidToken()  # RFC 8705 §3: bound to a client certificate this request lacks
        return self.get_user(token, request=request, read=read), token

    @staticmethod
    def _raw_token(request: Request) -> tuple[str, bytes] | None:
        """Return (scheme, token) of `Authorization: Bearer` or `DPoP`, None for another scheme.

        It reads Authorization only: SIMPLE_JWT["AUTH_HEADER_NAME"] is left at its default.
        """
        try:
            found = authorization_credentials(request, "bearer", DPOP_SCHEME)
        except MalformedAuthorization as exc:
            raise MalformedCredentials(MALFORMED) from exc
        if found is not None and not found[1].isascii():
            raise MalformedCredentials(MALFORMED)
        return found

    def get_validated_token(self, raw_token: bytes) -> AccessToken:
        try:
            return AccessToken(raw_token)
        except TokenError as exc:
            raise InvalidToken() from exc

    def get_user(self, validated_token: AccessToken, *, request: Request, read: GenerationRead | None = None) -> User:
        """Return the token's user if they still exist and are active; otherwise 401.

        A user deactivated or deleted since the token was issued is refused at once (a deleted
        user's id would otherwise reach a foreign key as a 500), and every field (`is_staff`,
        `email`, ...) is as stored, never copied into the token: accounts.user_cache.
        """
        user = token_user(request, validated_token["sub"], read=read)
        if user is None:
            raise InvalidToken()  # reads like any other dead token
        return user

    def authenticate_header(self, request: Request) -> str:
        # RFC 6750 §3: the Bearer challenge; every scheme's challenge goes into the 401.
        return f'Bearer realm="{self.www_authenticate_realm}", {DPOP_CHALLENGE}'


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, named for `whoami` and exempt from app identity."""

    scheme_name = "session"
    # The browsable API is the first-party web app: its session stands in for an app key
    # (clients.permissions.HasClient). Only this class says so, not every SessionAuthentication.
    exempt_from_app_identity = True

    def authenticate(self, request: Request):
        # Without a session cookie there is no session to load: skip the session store and the
        # user lookup that DRF's class would trigger on every API call made with other schemes.
        if settings.SESSION_COOKIE_NAME not in request._request.COOKIES:
            return None
        return super().authenticate(request)
