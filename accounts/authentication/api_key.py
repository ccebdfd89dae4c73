"""The simple app ID key: `Authorization: Key <key_id>` or `X-Api-Key: <key_id>`."""

from rest_framework import authentication
from rest_framework.request import Request

from accounts.authentication.base import authorization_header, identify_app
from accounts.exceptions import MalformedCredentials, SignatureRequired
from accounts.records import request_app
from accounts.selectors import api_key_lookup

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
        parts = authorization_header(request).split()
        if parts and parts[0].lower() == self.keyword.lower().encode():
            if len(parts) != 2:
                raise MalformedCredentials("Authorization: Key takes exactly one key id.")
            value = parts[1]
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
