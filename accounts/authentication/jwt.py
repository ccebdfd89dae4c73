"""JWT access tokens: `Authorization: Bearer <token>`, verified by signature, then the user by id.

Two kinds of JWT share the `Bearer` scheme (API.md §1): ours, signed with JWT_PRIVATE_KEY_FILE,
and the OAuth2 server's RFC 9068 access tokens. The rule that splits them, read from the
token's header before any verification:

- header `kid` is one of our JWKS kids: ours. Verified strictly; any failure is 401.
- header `typ` is `at+jwt` and `kid` is not ours: an OAuth2 access token. `authenticate`
  returns None and OAuth2Authentication, after this class, verifies it.
- anything else (not a JWT, no kid, an unknown kid, an ID token): ours, and 401. An unknown
  kid is refused here rather than passed on, so a forged token cannot fall through to an
  anonymous request.

A token bound to a DPoP key (`cnf.jkt`, API.md §12) must come as `Authorization: DPoP <token>`
with a proof by that key (dpop.binding); the same scheme carries OAuth2's bound tokens on.

Only `token_type: access` is accepted: refresh tokens and the anonymous signup tokens (signed
with the same key) get 401 here on every endpoint.
"""

from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import TokenError

from accounts import jwt
from accounts.authentication.base import authorization_header
from accounts.exceptions import ClientMismatch, MalformedCredentials
from accounts.models import User
from accounts.records import request_app
from accounts.selectors import token_user
from accounts.tokens import AccessToken, InvalidToken
from apiproject.client_cert import certificate_binding_holds, cnf_thumbprint
from dpop.binding import SCHEME as DPOP_SCHEME
from dpop.binding import cnf_jkt, token_binding_check
from dpop.exceptions import CHALLENGE as DPOP_CHALLENGE


class JWTAuthentication(authentication.JWTAuthentication):
    """Authenticates the user named by a JWT access token, bound to the app presenting it.

    The app must identify itself as well (X-Api-Key or a signature, handled before this class);
    a token obtained by another app gets 401 `client_mismatch`. The signature is checked
    without I/O; the user is then read by primary key (see `get_user`), so a deactivated or
    deleted user's access token gets 401 at once (docs/jwt.md).
    """

    scheme_name = "jwt"
    www_authenticate_realm = "api"
    user_model = User

    def __init__(self) -> None:
        # simplejwt looks the user model up on every instantiation (every request); get_user
        # below builds the user from the token and never uses it.
        pass

    def authenticate(self, request: Request) -> tuple[User, AccessToken] | None:
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None  # another scheme (Key, Token, Basic, ...)
        try:
            token = self.get_validated_token(raw_token)
        except jwt.ForeignToken:
            return None  # an OAuth2 access token: OAuth2Authentication's to verify
        app = request_app(request)
        if app is not None and app.client_id != token["client_id"]:
            raise ClientMismatch()
        scheme = header.split()[0].lower().decode("ascii")
        token_binding_check(request, scheme=scheme, token=raw_token.decode("ascii"), jkt=cnf_jkt(token.payload))
        if not certificate_binding_holds(cnf_thumbprint(token.payload), request._request.META):
            raise InvalidToken()  # RFC 8705 §3: bound to a client certificate this request lacks
        return self.get_user(token), token

    def get_header(self, request: Request) -> bytes | None:
        # simplejwt reads request.META through DRF's Request proxy; this reads it directly.
        # It reads Authorization only: SIMPLE_JWT["AUTH_HEADER_NAME"] is left at its default.
        return authorization_header(request) or None

    def get_raw_token(self, header: bytes) -> bytes | None:
        parts = header.split()
        # RFC 9110 §11.1: the scheme name is case-insensitive.
        if not parts or parts[0].lower() not in (b"bearer", DPOP_SCHEME.encode()):
            return None
        if len(parts) != 2 or not parts[1].isascii():
            raise MalformedCredentials("Authorization: Bearer (or DPoP) takes exactly one ASCII token.")
        return parts[1]

    def get_validated_token(self, raw_token: bytes) -> AccessToken:
        try:
            return AccessToken(raw_token)
        except TokenError as exc:
            raise InvalidToken() from exc

    def get_user(self, validated_token: AccessToken) -> User:
        """Return the token's user if they still exist and are active; otherwise 401.

        One primary-key query: a user deactivated or deleted since the token was issued is
        refused at once (a deleted user's id would otherwise reach a foreign key as a 500), and
        every field (`is_staff`, `email`, ...) is read fresh, never copied into the token.
        """
        sub = validated_token["sub"]
        user = token_user(sub) if isinstance(sub, str) else None
        if user is None:
            raise InvalidToken()  # reads like any other dead token
        return user

    def authenticate_header(self, request: Request) -> str:
        # RFC 6750 §3: the Bearer challenge; every scheme's challenge goes into the 401.
        return f'Bearer realm="{self.www_authenticate_realm}", {DPOP_CHALLENGE}'
