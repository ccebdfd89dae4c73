"""The project's URLs plus an echo endpoint, for tests of signed bodies and encrypted payloads."""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apiproject.urls import urlpatterns as project_urlpatterns
from clients.permissions import HasClient


class EchoView(APIView):
    """Returns the parsed body and the calling app: what a signed request delivered to a view."""

    permission_classes = [HasClient]

    def post(self, request: Request) -> Response:
        return Response({"client": request.app.client_id, "data": request.data})

    put = patch = post


urlpatterns = [path("echo", EchoView.as_view()), *project_urlpatterns]
