"""Counts every request that identified an app, after its response is known."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from clients.usage import usage_record


class UsageMiddleware:
    """Counts calls per app, key, day, route, status, source IP and User-Agent (clients.usage)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        app = getattr(request, "app", None)
        # Apps named by a key, a signature or an attestation (no key: key_pk is None); not OAuth2
        # tokens, whose client is an OAuth2 application rather than an API client.
        if app is not None and app.client_pk is not None:
            usage_record(request, app, status=response.status_code)
        return response
