"""Errors as responses: DRF's exception handler and Django's handler400-500, all JSON for API clients."""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.views import defaults
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.response import Response

from apiproject.cache import StoreFull
from apiproject.exceptions import DATABASE_ERRORS, CacheUnavailable, DatabaseUnavailable, ServiceUnavailable

logger = logging.getLogger(__name__)

# For errors nobody caught: OSError alone (a missing file, say) is no sign of a cache outage.
_UNCAUGHT_CACHE_ERRORS = (RedisError, ConnectionInterrupted, StoreFull)


def unavailable_exception(exc: BaseException | None) -> ServiceUnavailable | None:
    """Return the 503 to answer for a backing store's failure, or None for any other error."""
    if isinstance(exc, DATABASE_ERRORS):
        unavailable: ServiceUnavailable = DatabaseUnavailable()
    elif isinstance(exc, _UNCAUGHT_CACHE_ERRORS):
        unavailable = CacheUnavailable()
    else:
        return None
    # Logged without the message: a driver's error text can carry connection parameters.
    logger.warning("%s: %s", unavailable.default_code, type(exc).__name__)
    return unavailable


def set_retry_after(response: HttpResponse) -> HttpResponse:
    """Tell a client when to try again after a 503 (API_UNAVAILABLE_RETRY_AFTER_SECONDS)."""
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE and not response.has_header("Retry-After"):
        response["Retry-After"] = str(settings.API_UNAVAILABLE_RETRY_AFTER_SECONDS)
    return response


def error_response(exc: exceptions.APIException) -> JsonResponse:
    """Render an APIException outside DRF's view machinery (middleware, Django's 404 handler)."""
    response = JsonResponse({"detail": str(exc.detail), "code": exc.get_codes()}, status=exc.status_code)
    return set_retry_after(response)


def _challenges(request) -> str:
    # RFC 9110 §11.6.1: a 401 may list every scheme the server accepts, one challenge each.
    seen: list[str] = []
    for authenticator in getattr(request, "authenticators", None) or ():
        challenge = getattr(authenticator, "authenticate_header", lambda request: None)(request)
        if challenge and challenge not in seen:
            seen.append(challenge)
    return ", ".join(seen)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus `code` on every non-field error and every scheme on 401 challenges."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied) and not isinstance(exc, exceptions.APIException):
        exc = exceptions.PermissionDenied()
    elif (unavailable := unavailable_exception(exc)) is not None:
        exc = unavailable

    # Imported here: rest_framework.views loads the throttle classes, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException) and isinstance(response.data, dict) and "detail" in response.data:
        codes = exc.get_codes()
        response.data["code"] = codes if isinstance(codes, str) else "error"
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        challenges = _challenges(context.get("request"))
        # A scheme's own error challenge (RFC 9449 §7.1: `DPoP error="invalid_dpop_proof"`)
        # stands in for that scheme's plain challenge, or comes first when none was listed.
        if error_challenge := getattr(exc, "challenge", None):
            plain = getattr(exc, "plain_challenge", "")
            if plain and plain in challenges:
                challenges = challenges.replace(plain, error_challenge)
            else:
                challenges = ", ".join(filter(None, [error_challenge, challenges]))
        if challenges:
            response["WWW-Authenticate"] = challenges
    return set_retry_after(response)


def _speaks_json(request) -> bool:
    # The contract: everything under /api/ speaks JSON; the admin and OAuth pages keep HTML.
    return request.path.startswith("/api/")


def handler400(request, exception=None):
    """JSON 400 for what Django refuses before any view (a Host not allowed, too many fields)."""
    if not _speaks_json(request):
        return defaults.bad_request(request, exception)
    return error_response(exceptions.ParseError("Bad request.", code="bad_request"))


def handler403(request, exception=None):
    """JSON 403 for refusals outside DRF views."""
    if not _speaks_json(request):
        return defaults.permission_denied(request, exception)
    return error_response(exceptions.PermissionDenied())


def handler404(request, exception=None):
    """JSON 404 for unknown URLs under /api/."""
    if not _speaks_json(request):
        return defaults.page_not_found(request, exception)
    return error_response(exceptions.NotFound())


def handler500(request):
    """JSON 500 under /api/ that reveals nothing; the traceback goes to the server log.

    Called by Django inside its `except` block, for errors raised outside DRF's views too
    (middleware, the admin, the OAuth2 pages): a database or cache that is down is a 503
    with Retry-After there as well.
    """
    unavailable = unavailable_exception(sys.exc_info()[1])
    if unavailable is not None:
        return error_response(unavailable)
    if not _speaks_json(request):
        return defaults.server_error(request)
    return error_response(exceptions.APIException())
