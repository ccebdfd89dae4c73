"""Per-app rate limits: fixed windows counted in the shared store."""

import functools

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from apiproject.counters import Hit, fixed_window_hit
from apiproject.identity import AppIdentity, request_app
from clients.usage import usage_rider

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.lru_cache(maxsize=256)
def parse_rate(rate: str) -> tuple[int, int]:
    """Return (requests, period in seconds) for a DRF-style rate such as '100/minute'."""
    count, unit = rate.split("/")
    return int(count), PERIODS[unit[0]]


def client_rate(app: AppIdentity) -> tuple[int, int]:
    """Return the app's (limit, period): its own rate, or API_CLIENT_THROTTLE_RATE."""
    return parse_rate(app.throttle_rate or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["client"])


def client_request_count(request: Request, app: AppIdentity, *, claim: str | None = None, claim_ttl: int = 0) -> Hit:
    """Count this request against its app's window, once per request, and return the count.

    A signed request calls this during authentication with its nonce as `claim`, so that the
    replay check and the app's count share one round trip; ClientRateThrottle then reuses the
    result instead of counting again.
    """
    hit = getattr(request._request, "client_hit", None)
    if hit is None:
        _, period = client_rate(app)
        # The request's usage count rides the same round trip (clients.usage).
        rider = usage_rider(request._request, app)
        hit = fixed_window_hit(f"client:{app.client_id}", period=period, claim=claim, claim_ttl=claim_ttl, rider=rider)
        request._request.client_hit = hit
    return hit


class FixedWindowThrottle(BaseThrottle):
    """A throttle over one fixed-window counter on the shared cache (apiproject.counters).

    Subclasses implement `count(request)`: count this request and return (hit, limit), or None
    to let it through uncounted. The request is refused once the count passes the limit, with
    Retry-After set to the end of the window.
    """

    def count(self, request: Request) -> tuple[Hit, int] | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view) -> bool:
        counted = self.count(request)
        if counted is None:
            return True
        hit, limit = counted
        self._wait = hit.retry_after
        return hit.count <= limit

    def wait(self) -> int:
        return self._wait


class ClientRateThrottle(FixedWindowThrottle):
    """Limits each app to its own rate (or API_CLIENT_THROTTLE_RATE), counted atomically.

    A fixed window: simple and exact, at the cost of allowing up to twice the rate across a
    window boundary. Requests without an app (browsable-API sessions) are counted by
    SessionUserRateThrottle instead.
    """

    def count(self, request: Request) -> tuple[Hit, int] | None:
        app = request_app(request)
        if app is None:
            return None
        return client_request_count(request, app), client_rate(app)[0]
