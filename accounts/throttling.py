"""Throttles: per-app request rates, exact across worker processes."""

from django.conf import settings
from rest_framework.request import Request

from apiproject.counters import Hit, fixed_window_hit
from apiproject.identity import request_app
from clients.throttling import FixedWindowThrottle, parse_rate


class SessionUserRateThrottle(FixedWindowThrottle):
    """Limits each user's browser-session requests (no app) to API_SESSION_THROTTLE_RATE.

    API.md §1: session-cookie requests from the browsable API need no app, so no app's budget
    bounds them; without this a signed-in browser (or a stolen cookie) had no limit at all.
    Requests that name an app are left to ClientRateThrottle, so nothing is counted twice.
    """

    def count(self, request: Request) -> tuple[Hit, int] | None:
        if request_app(request) is not None or not request.user.is_authenticated:
            return None
        limit, period = parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["session"])
        return fixed_window_hit(f"session-user:{request.user.pk}", period=period), limit
