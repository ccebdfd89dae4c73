"""Request-level guards that must run before any view reads the request."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import ParseError

from apiproject.client_ip import peer_is_trusted_proxy
from apiproject.exceptions import LengthRequired, PayloadTooLarge
from apiproject.handlers import error_response

# What a reverse proxy tells the app about the client's connection. Any client can send these
# headers too; they mean something only when a trusted proxy set them (overwriting the client's).
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_CLIENT_CERT")


class TrustedProxyHeadersMiddleware:
    """Deletes proxy headers from requests whose peer is not one of DJANGO_TRUSTED_PROXIES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not peer_is_trusted_proxy(request):
            for header in PROXY_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class BodySizeLimitMiddleware:
    """Refuse bodies over API_MAX_BODY_BYTES with 413, unreadable lengths with 400, and unread chunked bodies with 411.

    A body sent with Transfer-Encoding reaches this point with a Content-Length only when
    apiproject.chunked.ChunkedBodyMiddleware (around the WSGI application) could read it; any
    other such request would reach the view with an empty body, so it is refused instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_TRANSFER_ENCODING" in request.META:
            # RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, and Django cannot find
            # the end of a chunked body by itself.
            return error_response(LengthRequired())
        raw = request.META.get("CONTENT_LENGTH") or "0"
        if not raw.isascii() or not raw.isdigit():
            # Django's request.body would raise ValueError on it later: a 500 from client input.
            return error_response(ParseError("Invalid Content-Length.", code="invalid_content_length"))
        if int(raw) > settings.API_MAX_BODY_BYTES:
            return error_response(PayloadTooLarge())
        return self.get_response(request)
