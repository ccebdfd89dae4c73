"""Login session tokens: `Authorization: Token <token>`, as issued by POST /api/v1/auth/login."""

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication
from rest_framework.request import Request

from accounts.authentication.base import authorization_credential
from accounts.exceptions import ClientMismatch, InvalidSessionToken
from accounts.models import LoginSession, User
from accounts.records import request_app
from accounts.selectors import login_session_by_token
from accounts.services.sessions import login_session_touch

TOKEN_MAX_LENGTH = 128  # issued tokens are 43 characters; anything far longer is not ours


class SessionTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates the user of a login session by its bearer token.

    One indexed query per request (the token's digest, joined to its user), with no cache in
    front, so a revoked token is refused by every worker process from the next request on.
    `request.auth` is the LoginSession.
    """

    keyword = "Token"
    scheme_name = "token"

    def authenticate(self, request: Request) -> tuple[User, LoginSession] | None:
        token = authorization_credential(request, self.keyword, max_length=TOKEN_MAX_LENGTH)
        if token is None:
            return None
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
