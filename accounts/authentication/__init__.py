"""Authentication schemes of the API, one module per scheme."""

from accounts.authentication.anonymous import AnonymousTokenAuthentication
from accounts.authentication.api_key import ApiKeyAuthentication
from accounts.authentication.jwt import JWTAuthentication
from accounts.authentication.oauth2 import OAuth2Authentication
from accounts.authentication.session import SessionAuthentication
from accounts.authentication.signature import HttpSignatureAuthentication
from accounts.authentication.token import SessionTokenAuthentication

# The schemes that identify the calling app, in the order they must run (a signature before a
# plain key). A view that admits no user credential lists these alone, plus its own scheme.
APP_IDENTITY_AUTHENTICATION = (HttpSignatureAuthentication, ApiKeyAuthentication)

__all__ = [
    "APP_IDENTITY_AUTHENTICATION",
    "AnonymousTokenAuthentication",
    "ApiKeyAuthentication",
    "HttpSignatureAuthentication",
    "JWTAuthentication",
    "OAuth2Authentication",
    "SessionAuthentication",
    "SessionTokenAuthentication",
]
