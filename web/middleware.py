"""Cache-Control: no-store on API answers, which carry personal data or credentials."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# Answers that are the same for everyone and safe for any cache to keep.
PUBLIC_PATHS = ("/api/v1/health", "/.well-known/", "/o/.well-known/", "/api/schema/")
CACHEABLE_TYPES = ("application/json", "application/jose")


class NoStoreMiddleware:
    """Mark JSON answers `Cache-Control: no-store` unless they are public or set their own.

    A purchase list, a session list, a token or a whoami answer kept by a shared proxy or in
    the browser's disk cache can be read by the next person on that proxy or computer
    (RFC 9111 §5.2.2.5; RFC 6749 §5.1 for tokens). Every API answer is about its caller, so
    every one is no-store but the few that are the same for everyone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if (
            content_type.startswith(CACHEABLE_TYPES)
            and not request.path.startswith(PUBLIC_PATHS)
            and not response.has_header("Cache-Control")
        ):
            patch_cache_control(response, no_store=True)
        return response
