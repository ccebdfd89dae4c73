"""Immutable, cacheable views of an app key and of the app identity attached to a request."""

import re
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What the hot path needs to know about one API key, without touching the database."""

    key_pk: int
    client_pk: int
    client_id: str
    secret: str
    require_signature: bool
    user_agent_patterns: tuple[re.Pattern, ...]
    throttle_rate: str
    expires_at: datetime | None
    revoked: bool
    client_active: bool

    def is_usable(self, now: datetime) -> bool:
        """Return whether the key may identify its app at `now`."""
        return not self.revoked and self.client_active and (self.expires_at is None or now < self.expires_at)

    def allows_user_agent(self, user_agent: str) -> bool:
        """Return whether the app's User-Agent rules admit this agent (no rules admits every agent)."""
        if not self.user_agent_patterns:
            return True
        return any(pattern.fullmatch(user_agent) for pattern in self.user_agent_patterns)


@dataclass(frozen=True, slots=True)
class AppIdentity:
    """The app behind a request, as established by a key, a signature or an OAuth2 token."""

    client_id: str
    scheme: str  # "key", "signature" or "oauth2"
    client_pk: int | None = None
    key_pk: int | None = None
    throttle_rate: str = ""
