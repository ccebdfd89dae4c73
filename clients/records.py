"""Immutable, cacheable views of an app key and of the app identity attached to a request."""

from dataclasses import dataclass
from datetime import datetime

import re2
from django.utils import timezone

from apiproject.identity import AppIdentity


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What the hot path needs to know about one API key, without touching the database."""

    key_pk: int
    client_pk: int
    client_id: str
    secret: str
    require_signature: bool
    user_agent_patterns: tuple[re2._Regexp, ...]  # clients.user_agents: RE2, linear time
    throttle_rate: str
    expires_at: datetime | None
    revoked: bool
    client_active: bool

    def identity(self, scheme: str) -> "AppIdentity":
        """Return the app this key identifies, as established by `scheme` ("key" or "signature")."""
        return AppIdentity(
            client_id=self.client_id,
            scheme=scheme,
            client_pk=self.client_pk,
            key_pk=self.key_pk,
            throttle_rate=self.throttle_rate,
        )

    def is_usable(self, now: datetime | None = None) -> bool:
        """Return whether the key may identify its app at `now` (default: the current time)."""
        if self.revoked or not self.client_active:
            return False
        return self.expires_at is None or (now or timezone.now()) < self.expires_at

    def allows_user_agent(self, user_agent: str) -> bool:
        """Return whether the app's User-Agent rules admit this agent (no rules admits every agent)."""
        if not self.user_agent_patterns:
            return True
        return any(pattern.fullmatch(user_agent) for pattern in self.user_agent_patterns)
