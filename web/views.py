"""The pages a person opens first: the landing page, the API root, the schema and Swagger UI."""

import functools

from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
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


class SwaggerUIView(SpectacularSwaggerSplitView):
    """Swagger UI, its start-up script served from ?script= so that no inline script is needed.

    drf-spectacular sends `Cross-Origin-Opener-Policy: unsafe-none`, for identity providers on
    other origins. Ours is this server: with `same-origin` here, on the sign-in and consent pages
    and on the redirect page, the OAuth2 popup stays in the same browsing context group and can
    hand the code back to the page that opened it; a mix of policies would cut that link.
    """

    # No OPTIONS: DRF would render its metadata with the HTML template renderer, and fail.
    http_method_names = ["get", "head"]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        response["Cross-Origin-Opener-Policy"] = "same-origin"
        return response


class SwaggerUIOAuth2RedirectView(TemplateView):
    """/api/docs/oauth2-redirect.html: where the authorization server sends Swagger UI's code back.

    Rendered here rather than redirected to the static file (drf-spectacular's way), so that it
    carries the same headers as every other page of the flow, whatever serves /static/.
    """

    template_name = "web/swagger_ui_oauth2_redirect.html"
