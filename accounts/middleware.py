"""Counts every request that identified an app, after its response is known."""

import functools
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.usage import usage_record
from apiproject.client_ip import client_ip

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@functools.lru_cache(maxsize=1024)  # one entry per URL pattern of the project
def route_name(pattern: str) -> str:
    """Turn a resolved URL pattern into a readable route: `api/v1/purchases/<pk>`."""
    return _GROUP.sub(r"<\1>", pattern).replace("^", "").replace("$", "").replace("/?", "")


class UsageMiddleware:
    """Counts calls per app, key, day, route, status, source IP and User-Agent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        app = getattr(request, "app", None)
        # Apps named by a key, a signature or an attestation (no key: key_pk is None); not OAuth2
        # tokens, whose client is an OAuth2 application rather than an API client.
        if app is not None and app.client_pk is not None:
            match = request.resolver_match
            usage_record(
                (
                    app.client_pk,
                    app.key_pk,
                    timezone.now().date(),
                    # The route pattern, not the path: /purchases/<int:pk>/ is one row, not one per id.
                    route_name(match.route) if match else "",
                    response.status_code,
                    client_ip(request),
                    request.META.get("HTTP_USER_AGENT", "")[:256],
                )
            )
        return response
