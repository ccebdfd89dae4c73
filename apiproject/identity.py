"""The calling app's identity on a request: established by a key, a signature, a certificate or an OAuth2 token."""

from dataclasses import dataclass, replace

from django.http import HttpRequest
from rest_framework.request import Request

from apiproject.counters import Hit


@dataclass(frozen=True, slots=True)
class AppIdentity:
    """The app behind a request, as established by a key, a signature or an OAuth2 token."""

    client_id: str
    scheme: str  # "key", "signature" or "oauth2"
    client_pk: int | None = None
    key_pk: int | None = None
    throttle_rate: str = ""
    # This request's hit in the app's throttle window, when the scheme counted it together with
    # a single-use value (apiproject.replay.nonce_claim_and_count) or with a read of its own
    # (clients.throttling.client_count); ClientRateThrottle reads it instead of counting again.
    counted: Hit | None = None

    def with_count(self, hit: Hit) -> "AppIdentity":
        """Return this app with `hit` as this request's count (see `counted`)."""
        return replace(self, counted=hit)


def request_app(request: Request | HttpRequest) -> AppIdentity | None:
    """Return the app identified for this request, or None.

    Read from the Django request, where the schemes store it: on DRF's Request a missing
    attribute costs two lookups and two exceptions, on every request that has no app.
    """
    return getattr(getattr(request, "_request", request), "app", None)


def set_app(request: Request, app: AppIdentity) -> None:
    """Record the app identified for this request, on the Django request (`request.app`).

    Not DRF's `auth`: the user schemes after the app's in DEFAULT_AUTHENTICATION_CLASSES still
    run, so a request can carry an app credential and a user credential together.
    """
    request._request.app = app
