"""Models of the accounts app, one module per concern."""

from accounts.models.audit import AuditEvent
from accounts.models.clients import ApiClient, ApiKey, UsageRecord
from accounts.models.users import User

__all__ = ["ApiClient", "ApiKey", "AuditEvent", "UsageRecord", "User"]
