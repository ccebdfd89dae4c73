"""Models of the accounts app, one module per concern."""

from accounts.models.audit import AuditEvent
from accounts.models.clients import ApiClient, ApiKey, UsageRecord
from accounts.models.oauth import OAuthApplication
from accounts.models.sessions import LoginSession
from accounts.models.tokens import RefreshTokenRecord
from accounts.models.users import User

__all__ = [
    "ApiClient",
    "ApiKey",
    "AuditEvent",
    "LoginSession",
    "OAuthApplication",
    "RefreshTokenRecord",
    "UsageRecord",
    "User",
]
