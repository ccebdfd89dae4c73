"""Request-level guards that must run before any view reads the body."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import ParseError

from apiproject.exceptions import PayloadTooLarge, error_response


class BodySizeLimitMiddleware:
    """Refuse bodies over API_MAX_BODY_BYTES with 413, and unreadable lengths with 400, before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        if not raw.isascii() or not raw.isdigit():
            # Django's request.body would raise ValueError on it later: a 500 from client input.
            return error_response(ParseError("Invalid Content-Length.", code="invalid_content_length"))
        if int(raw) > settings.API_MAX_BODY_BYTES:
            return error_response(PayloadTooLarge())
        return self.get_response(request)
