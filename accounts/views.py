"""Views of the accounts app: who is calling, and per-app usage for staff."""

import functools
import logging

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import APP_IDENTITY_AUTHENTICATION, AnonymousTokenAuthentication
from accounts.models import ApiClient
from accounts.permissions import HasClient, IsNotDelegated, IsStaff
from accounts.records import request_app
from accounts.selectors import client_usage_report
from accounts.serializers import UsageReportSerializer, WhoAmISerializer
from accounts.usage import usage_flush
from dpop.binding import request_used_dpop

logger = logging.getLogger(__name__)


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


class ClientUsageView(APIView):
    """Usage statistics of one app (staff only)."""

    permission_classes = [HasClient, IsStaff, IsNotDelegated]

    @extend_schema(responses=UsageReportSerializer)
    def get(self, request: Request, client_id: str) -> Response:
        client = get_object_or_404(ApiClient, client_id=client_id)
        try:
            usage_flush()  # include the counts not written yet
        except Exception:  # noqa: BLE001 - a report of what is written beats none
            logger.exception("usage: flush before the report failed")
        return Response(UsageReportSerializer(client_usage_report(client=client)).data)
