"""The API's error format: every error body carries `detail` and a machine-readable `code`."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


class LengthRequired(exceptions.APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "A request body needs a Content-Length here (Transfer-Encoding is not accepted)."
    default_code = "length_required"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A backing service is unavailable; try again later."
    default_code = "service_unavailable"


def error_response(exc: exceptions.APIException) -> JsonResponse:
    """Render an APIException outside DRF's view machinery (middleware, Django's 404 handler)."""
    return JsonResponse({"detail": str(exc.detail), "code": exc.get_codes()}, status=exc.status_code)


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
        if challenges:
            response["WWW-Authenticate"] = challenges
    return response


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
    """JSON 500 under /api/ that reveals nothing; the traceback goes to the server log."""
    if not _speaks_json(request):
        return defaults.server_error(request)
    return error_response(exceptions.APIException())
