"""Throttles of the signup endpoints: per anonymous token, per client IP and per app, exact across workers."""

import time

from django.conf import settings
from rest_framework.request import Request

from apiproject.client_ip import client_ip, ip_limit_key
from apiproject.counters import Hit, fixed_window_hit
from apiproject.identity import request_app
from clients.throttling import FixedWindowThrottle, parse_rate
from signup.authentication import AnonymousTokenAuthentication


class SettingRateThrottle(FixedWindowThrottle):
    """A fixed-window limit on one key per request, its rate read from a setting on each request.

    Subclasses say what they count (`scope`), which setting holds the rate (`rate_setting`) and
    whom a request is counted against (`ident`). Counting is one atomic increment on the shared
    cache (apiproject.counters), and a cache that cannot be reached answers 503.
    """

    scope: str
    rate_setting: str

    def ident(self, request: Request) -> str | None:
        """Return whom this request is counted against, or None to let it through uncounted."""
        raise NotImplementedError

    def count(self, request: Request) -> tuple[Hit, int] | None:
        ident = self.ident(request)
        if ident is None:
            return None
        limit, period = parse_rate(getattr(settings, self.rate_setting))
        return fixed_window_hit(f"{self.scope}:{ident}", period=period), limit


class IpRateThrottle(SettingRateThrottle):
    """Limits each client IP (apiproject.client_ip), IPv6 by its /64."""

    def ident(self, request: Request) -> str | None:
        # Requests without a usable address share one budget ("unknown") rather than escape it.
        return ip_limit_key(client_ip(request))


class ClientSignupRateThrottle(SettingRateThrottle):
    """Limits each app, on top of its general rate (clients.throttling.ClientRateThrottle)."""

    def ident(self, request: Request) -> str | None:
        app = request_app(request)
        return app.client_id if app else None


class SessionIpThrottle(IpRateThrottle):
    """Anonymous tokens minted per client IP (SIGNUP_SESSION_RATE_PER_IP)."""

    scope = "signup-session-ip"
    rate_setting = "SIGNUP_SESSION_RATE_PER_IP"


# find-person answers whether a person exists, and so does create-person's duplicate check:
# both count against the same three budgets, or create-person would be a free enumeration oracle.


class LookupIpThrottle(IpRateThrottle):
    """Existence answers per client IP (SIGNUP_FIND_PERSON_RATE_PER_IP)."""

    scope = "signup-lookup-ip"
    rate_setting = "SIGNUP_FIND_PERSON_RATE_PER_IP"


class LookupClientThrottle(ClientSignupRateThrottle):
    """Existence answers per app (SIGNUP_FIND_PERSON_RATE_PER_APP)."""

    scope = "signup-lookup-client"
    rate_setting = "SIGNUP_FIND_PERSON_RATE_PER_APP"


class AnonymousTokenLookupThrottle(FixedWindowThrottle):
    """Existence answers per anonymous token over its whole life (SIGNUP_FIND_PERSON_LIMIT_PER_TOKEN).

    The window is the token's own life rather than a clock-aligned one: counted from its `iat`,
    it opens when the token is issued and closes at its expiry, so a token that straddles a
    window boundary cannot spend its budget twice. Past the limit the client must solve another
    captcha for a new token; Retry-After says when this one expires.
    """

    scope = "signup-lookup-token"

    def count(self, request: Request) -> tuple[Hit, int] | None:
        if not isinstance(request.successful_authenticator, AnonymousTokenAuthentication):
            return None  # the permissions have already refused such a request
        claims = request.auth
        lifetime = max(1, claims["exp"] - claims["iat"])
        # One window as long as the token's life, starting at its iat: `now` is the time since
        # issue (never negative, should this worker's clock run behind the issuer's).
        since_issue = max(0.0, time.time() - claims["iat"])
        hit = fixed_window_hit(f"{self.scope}:{claims['jti']}", period=lifetime, now=since_issue)
        return hit, settings.SIGNUP_FIND_PERSON_LIMIT_PER_TOKEN
