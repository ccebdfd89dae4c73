"""Per-app rate limits: fixed windows counted in the shared store."""

import functools

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from apiproject import replay
from apiproject.counters import Hit, Rider, fixed_window, fixed_window_hit, riders_chain
from apiproject.identity import AppIdentity, request_app, set_app
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


def client_counter(app: AppIdentity) -> tuple[str, int]:
    """Return the name of the app's throttle counter and its window's period in seconds."""
    return f"client:{app.client_id}", client_rate(app)[1]


def client_nonce_claim_and_count(
    request: Request, app: AppIdentity, *, key: str, ttl: int, issued_at: float, rider: Rider | None = None
) -> replay.Claim:
    """Take a single-use value and count this request against its app, in one round trip.

    For the schemes whose credential carries one (a signature's nonce, a PoP's or a DPoP proof's
    jti): apiproject.replay.nonce_claim_and_count, with the request's usage count (clients.usage)
    and `rider`'s commands riding the same round trip. A value taken before counts nothing. The app is recorded
    on the request again with its count (AppIdentity.counted), which ClientRateThrottle reads
    instead of counting a second time. Raises ReplayStoreUnavailable (503).
    """
    name, period = client_counter(app)
    window = fixed_window(name, period=period)
    claim, hit = replay.nonce_claim_and_count(
        key, ttl=ttl, issued_at=issued_at, window=window, rider=riders_chain(usage_rider(request._request, app), rider)
    )
    if claim is replay.Claim.NEW:
        set_app(request, app.with_count(hit))
    return claim


def client_count(request: Request, app: AppIdentity, *, rider: Rider) -> None:
    """Count this request against its app now, with `rider`'s commands in the same round trip.

    For a scheme that must read the shared store anyway before it can authenticate (a token's
    user, accounts.user_cache): on Redis its read rides the app's count and the usage count, so
    the request still makes one round trip; elsewhere the rider is not run. The count is
    recorded on the request (AppIdentity.counted), which ClientRateThrottle reads instead of
    counting again. Raises ServiceUnavailable (503) when the store cannot be reached.
    """
    name, period = client_counter(app)
    hit = fixed_window_hit(name, period=period, rider=riders_chain(usage_rider(request._request, app), rider))
    set_app(request, app.with_count(hit))


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
        hit = app.counted  # counted already (client_nonce_claim_and_count, client_count)
        if hit is None:
            name, period = client_counter(app)
            # The request's usage count rides the same round trip (clients.usage).
            hit = fixed_window_hit(name, period=period, rider=usage_rider(request._request, app))
        return hit, client_rate(app)[0]
