"""Views of the clients app: the usage report."""

import logging

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apiproject.permissions import IsNotDelegated
from clients.models import ApiClient
from clients.permissions import HasClient, IsStaff
from clients.selectors import client_usage_report
from clients.serializers import UsageReportSerializer
from clients.usage import usage_flush

logger = logging.getLogger(__name__)


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
