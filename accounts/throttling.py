"""Throttles: per-app request rates, exact across worker processes."""

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from apiproject.counters import fixed_window_hit

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """Return (requests, period in seconds) for a DRF-style rate such as '100/minute'."""
    count, unit = rate.split("/")
    return int(count), PERIODS[unit[0]]


class ClientRateThrottle(BaseThrottle):
    """Limits each app to its own rate (or API_CLIENT_THROTTLE_RATE), counted atomically.

    A fixed window: simple and exact, at the cost of allowing up to twice the rate across a
    window boundary. Requests without an app (browsable-API sessions) are not counted here.
    """

    scope = "client"

    def allow_request(self, request: Request, view) -> bool:
        app = getattr(request, "app", None)
        if app is None:
            return True
        rate = app.throttle_rate or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]
        limit, period = parse_rate(rate)
        hit = fixed_window_hit(f"{self.scope}:{app.client_id}", period=period)
        self._wait = hit.retry_after
        return hit.count <= limit

    def wait(self) -> int:
        return self._wait
