"""The API's error format: every error body carries `detail` and a machine-readable `code`."""

import logging

from django.db import InterfaceError, OperationalError
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework import exceptions, status

from apiproject.cache import StoreFull

logger = logging.getLogger(__name__)

# A lost connection or a server that does not answer: the client's request was fine, so the
# answer is 503 with Retry-After (RFC 9110 §15.6.4), never a 500 that reads as a bug.
DATABASE_ERRORS = (OperationalError, InterfaceError)
CACHE_ERRORS = (RedisError, ConnectionInterrupted, OSError, StoreFull)


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


class DatabaseUnavailable(ServiceUnavailable):
    default_detail = "The database is unavailable; try again later."
    default_code = "database_unavailable"


class CacheUnavailable(ServiceUnavailable):
    default_detail = "The shared cache is unavailable; try again later."
    default_code = "cache_unavailable"


class MalformedCredentials(exceptions.AuthenticationFailed):
    default_detail = "Malformed credentials."
    default_code = "malformed_credentials"


class InsufficientScope(exceptions.PermissionDenied):
    default_detail = "The token lacks the scope this endpoint needs."
    default_code = "insufficient_scope"
