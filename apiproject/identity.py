"""The calling app's identity on a request: established by a key, a signature, a certificate or an OAuth2 token."""

from dataclasses import dataclass

from django.http import HttpRequest
from rest_framework.request import Request


@dataclass(frozen=True, slots=True)
class AppIdentity:
    """The app behind a request, as established by a key, a signature or an OAuth2 token."""

    client_id: str
    scheme: str  # "key", "signature" or "oauth2"
    client_pk: int | None = None
    key_pk: int | None = None
    throttle_rate: str = ""


def request_app(request: Request | HttpRequest) -> AppIdentity | None:
    """Return the app identified for this request, or None.

    Read from the Django request, where the schemes store it: on DRF's Request a missing
    attribute costs two lookups and two exceptions, on every request that has no app.
    """
    return getattr(getattr(request, "_request", request), "app", None)


def set_app(request: Request, app: AppIdentity) -> None:
    """Record an app established by a user credential (an OAuth2 token names its client)."""
    request._request.app = app
