"""Service endpoints: liveness and readiness probes."""

from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apiproject.counters import CACHE_ERRORS
from apiproject.exceptions import ServiceUnavailable

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
