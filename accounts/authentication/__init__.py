"""Authentication schemes of the API, one module per scheme."""

from accounts.authentication.api_key import ApiKeyAuthentication
from accounts.authentication.session import SessionAuthentication

__all__ = ["ApiKeyAuthentication", "SessionAuthentication"]
