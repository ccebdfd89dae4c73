"""Service endpoints: liveness and readiness probes."""

import functools

from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apiproject.counters import CACHE_ERRORS
from apiproject.exceptions import ServiceUnavailable
from apiproject.identity import request_app
from apiproject.serializers import WhoAmISerializer
from clients.authentication import ApiKeyAuthentication
from clients.permissions import HasClient
from dpop.binding import request_used_dpop
from signatures.authentication import HttpSignatureAuthentication
from signup.authentication import AnonymousTokenAuthentication

StatusSerializer = inline_serializer("Status", {"status": serializers.CharField()})


class HealthView(APIView):
    """Liveness: answers without touching the database. The benchmarks' baseline view."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(responses=StatusSerializer, auth=[])
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadinessView(APIView):
    """Readiness: 200 when the database and the cache answer, 503 otherwise."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        responses={
            200: StatusSerializer,
            503: OpenApiResponse(description="database_unavailable or cache_unavailable"),
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:
            raise ServiceUnavailable("The database is unavailable.", code="database_unavailable") from exc
        try:
            cache.set("health:ready", "1", timeout=5)
        except CACHE_ERRORS as exc:
            raise ServiceUnavailable("The cache is unavailable.", code="cache_unavailable") from exc
        return Response({"status": "ok"})


# The schemes that identify the calling app, in the order they must run (a signature before a
# plain key). A view that admits no user credential lists these alone, plus its own scheme.
APP_IDENTITY_AUTHENTICATION = (HttpSignatureAuthentication, ApiKeyAuthentication)


@functools.lru_cache(maxsize=8)
def _with_anonymous_token(schemes: tuple[type[BaseAuthentication], ...]) -> tuple[type[BaseAuthentication], ...]:
    # An anonymous signup token opens whoami too (API.md §7). It goes after the app-identity
    # schemes, which it is bound to, and before the user schemes, which refuse it with 401.
    apps = tuple(scheme for scheme in schemes if _identifies_app(scheme))
    users = tuple(scheme for scheme in schemes if not _identifies_app(scheme))
    return (*apps, AnonymousTokenAuthentication, *users)


def _identifies_app(scheme: type[BaseAuthentication]) -> bool:
    # Schemes of other apps (attestation) say so with `identifies_app`.
    return issubclass(scheme, APP_IDENTITY_AUTHENTICATION) or getattr(scheme, "identifies_app", False)


class WhoAmIView(APIView):
    """Names the user, the app and the schemes that authenticated this request."""

    permission_classes = [HasClient]

    def get_authenticators(self) -> list[BaseAuthentication]:
        return [scheme() for scheme in _with_anonymous_token(tuple(self.authentication_classes))]

    @extend_schema(responses=WhoAmISerializer)
    def get(self, request: Request) -> Response:
        app = request_app(request)
        schemes = [app.scheme] if app else []
        user_scheme = getattr(request.successful_authenticator, "scheme_name", None)
        if user_scheme and user_scheme not in schemes:
            schemes.append(user_scheme)
        if request_used_dpop(request):  # beside the token's own scheme (API.md §9)
            schemes.append("dpop")
        user = request.user.get_username() if request.user.is_authenticated else None
        return Response({"user": user or None, "client": app.client_id if app else None, "schemes": schemes})
