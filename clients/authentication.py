"""App keys: `X-Api-Key: <key_id>.<secret>`, and what every app-identity scheme shares (the key's policy)."""

from rest_framework import authentication
from rest_framework.request import Request

from apiproject.authorization import MalformedAuthorization, authorization_credentials
from apiproject.exceptions import MalformedCredentials
from apiproject.identity import AppIdentity, request_app, set_app
from clients.exceptions import InvalidApiKey, SignatureRequired, UserAgentRejected
from clients.records import KeyRecord
from clients.selectors import api_key_lookup

MAX_USER_AGENT_LENGTH = 512  # longer agents are refused before any regular expression runs


def identify_app(request: Request, record: KeyRecord | None, *, scheme: str) -> AppIdentity:
    """Check that the key may call now and from this agent, then record the app on the request.

    The app is recorded with set_app (`request.app`), not returned as DRF's `auth`, so that the
    user schemes after it in DEFAULT_AUTHENTICATION_CLASSES still run.
    """
    if record is None or not record.is_usable():
        raise InvalidApiKey()
    user_agent = request._request.META.get("HTTP_USER_AGENT", "")
    if len(user_agent) > MAX_USER_AGENT_LENGTH or not record.allows_user_agent(user_agent):
        raise UserAgentRejected()
    app = record.identity(scheme)
    set_app(request, app)
    return app


KEY_ID_MAX_LENGTH = 128


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Identifies the calling app by its key id; never authenticates a user.

    Returns None even on success, after recording the app on the request, so that a user
    scheme later in the list can authenticate the person in the same request.
    """

    keyword = "Key"
    header = "HTTP_X_API_KEY"
    scheme_name = "key"

    def authenticate(self, request: Request) -> None:
        key_id = self._key_id(request)
        if key_id is None:
            return None
        record = api_key_lookup(key_id)
        identify_app(request, record, scheme=self.scheme_name)
        if record.require_signature:
            raise SignatureRequired()
        return None

    def _key_id(self, request: Request) -> str | None:
        if request_app(request) is not None:
            return None  # a signature already identified the app
        meta = request._request.META
        try:
            found = authorization_credentials(request, self.keyword.lower())
        except MalformedAuthorization as exc:
            raise MalformedCredentials("Authorization: Key takes exactly one key id.") from exc
        if found is not None:
            _, value = found
        elif self.header in meta:
            value = meta[self.header].encode("latin-1", errors="replace").strip()
            if not value or b" " in value:
                raise MalformedCredentials("X-Api-Key takes exactly one key id.")
        else:
            return None
        if len(value) > KEY_ID_MAX_LENGTH:
            raise MalformedCredentials("Key id is too long.")
        try:
            return value.decode("ascii")
        except UnicodeDecodeError as exc:
            raise MalformedCredentials("Key id must be ASCII.") from exc

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
