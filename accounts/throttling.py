"""Throttles: per-app request rates, exact across worker processes."""

import functools

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.records import AppIdentity
from apiproject.counters import Hit, fixed_window_hit

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
        hit = fixed_window_hit(f"client:{app.client_id}", period=period, claim=claim, claim_ttl=claim_ttl)
        request._request.client_hit = hit
    return hit


class ClientRateThrottle(BaseThrottle):
    """Limits each app to its own rate (or API_CLIENT_THROTTLE_RATE), counted atomically.

    A fixed window: simple and exact, at the cost of allowing up to twice the rate across a
    window boundary. Requests without an app (browsable-API sessions) are not counted here.
    """

    def allow_request(self, request: Request, view) -> bool:
        app = getattr(request, "app", None)
        if app is None:
            return True
        hit = client_request_count(request, app)
        self._wait = hit.retry_after
        return hit.count <= client_rate(app)[0]

    def wait(self) -> int:
        return self._wait
