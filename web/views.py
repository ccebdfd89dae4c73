"""The pages a person opens first: the landing page, the API root, the schema and Swagger UI."""

import functools

from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# The API root's links: (name, URL name) per route group.
ROOT_LINKS = {
    "health": "health",
    "whoami": "whoami",
    "purchases": "purchase-list",
    "auth-login": "auth-login",
    "auth-token": "auth-token",
    "auth-sessions": "auth-sessions",
    "signup-captcha": "signup-captcha",
    "schema": "schema",
    "docs": "swagger-ui",
}


class HomeView(TemplateView):
    """The landing page at /: where the docs, Swagger UI, the admin and the API root are."""

    template_name = "web/home.html"


class ApiRootView(APIView):
    """The API root: a link to each group of routes.

    Sign in with **Log in** (top right) as any active user to use the API from this page, or
    call it with an app key and a user credential (see the docs).
    """

    permission_classes = [AllowAny]  # links only, as public as the schema
    throttle_classes = []

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response({name: reverse(url_name, request=request) for name, url_name in ROOT_LINKS.items()})


@functools.cache
def openapi_schema() -> dict:
    """Return the OpenAPI document, built on first use and then kept for the process's life.

    Built without a request: it is the same for every caller (SERVE_PUBLIC), and building it
    costs about 100 ms that an unauthenticated caller could otherwise make the server spend at
    will. No `?version=` or `?lang=` variants: the API has one version and one language, and
    a cache keyed by what callers send would grow without end.
    """
    return SpectacularAPIView.generator_class().get_schema(request=None, public=True)


class SchemaView(SpectacularAPIView):
    """The OpenAPI document (YAML, or JSON with `?format=json`), generated once per process."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return Response(
            data=openapi_schema(),
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'},
        )
