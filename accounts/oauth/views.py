"""Views of the authorization server that differ from the toolkit's: login, and introspection."""

import base64
import binascii
import functools
import json
from collections.abc import Callable

import jwt
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from oauth2_provider import views as oauth2_views
from oauthlib.common import Request as OauthlibRequest
from oauthlib.common import urlencode

from accounts.forms import LoginForm


def refuse_nul_bytes(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer RFC 6749 `invalid_request` to a parameter or Basic credential holding a NUL byte.

    The toolkit looks clients, codes and tokens up by the raw form values, and PostgreSQL
    refuses text containing U+0000 with an error, which would be a 500 from client input.
    """

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        values = [*request.GET.values(), *request.POST.values()]
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        if authorization[:6].lower() == "basic ":
            try:
                values.append(base64.b64decode(authorization[6:], validate=True).decode("latin-1"))
            except (binascii.Error, ValueError):
                pass  # the toolkit refuses malformed Basic credentials itself
        if any("\x00" in value for value in values):
            return JsonResponse(
                {"error": "invalid_request", "error_description": "Parameters must not contain NUL."}, status=400
            )
        return view(request, *args, **kwargs)

    return guarded


class LoginView(auth_views.LoginView):
    """The sign-in page in front of /o/authorize/, limited like every other password login."""

    form_class = LoginForm
    redirect_authenticated_user = True


class IntrospectTokenView(oauth2_views.IntrospectTokenView):
    """RFC 7662 introspection, for the resource servers: apps registered with introspection_allowed.

    The toolkit decides `active` from its database: issued here, not revoked (revoking deletes
    the row) and not expired. An active answer also carries the token's RFC 9068 claims, so a
    resource server that introspects sees the same user, app and audience as one that reads
    the JWT itself.
    """

    def authenticate_client(self, request: HttpRequest) -> bool:
        """Authenticate the caller as a client that may introspect (RFC 7662 §2.1 and §4).

        The toolkit lets any client that authenticates ask about any token; RFC 7662 §4 wants
        the endpoint limited to the protected resources, against token scanning. So the client
        must authenticate and also be registered as a resource server; otherwise the toolkit
        answers 403, as to a caller without credentials.
        """
        core = self.get_oauthlib_core()
        oauth_request = OauthlibRequest(
            request.build_absolute_uri(),
            request.method,
            urlencode(core.extract_body(request)),
            core.extract_headers(request),
        )
        if not core.server.request_validator.authenticate_client(oauth_request):
            return False
        return oauth_request.client.introspection_allowed

    @staticmethod
    def get_token_response(token_value: str | None = None) -> JsonResponse:
        response = oauth2_views.IntrospectTokenView.get_token_response(token_value)
        response["Cache-Control"] = "no-store"
        data = json.loads(response.content)
        if response.status_code != 200 or not data.get("active"):
            return response
        # Unverified is safe here: the stored SHA-256 matched, so these are the exact bytes we
        # signed (and a key rotated since would not make them any less ours).
        claims = jwt.decode(token_value, options={"verify_signature": False})
        data.update(
            {name: claims[name] for name in ("iss", "aud", "sub", "iat", "jti", "username") if name in claims},
            token_type="Bearer",
        )
        answer = JsonResponse(data)
        answer["Cache-Control"] = "no-store"
        return answer

    def post(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        # RFC 7662 §2.1: POST only; a token in a query string ends up in access logs.
        return self.get_token_response(request.POST.get("token"))

    def get(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        return JsonResponse(
            {"error": "invalid_request", "error_description": "Send the token in a POST body."}, status=405
        )


# Server metadata this server adds to the toolkit's discovery documents (RFC 8414 §2 and the
# registries it opens): RFC 8705 §3.3, access tokens bound to the mutual-TLS client certificate.
EXTRA_METADATA = {"tls_client_certificate_bound_access_tokens": True}


def with_extra_metadata(view_class: type) -> type:
    """Return `view_class` (a toolkit discovery view) with EXTRA_METADATA merged into its JSON."""

    class DiscoveryView(view_class):
        def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = super().get(request, *args, **kwargs)
            response.content = json.dumps({**json.loads(response.content), **EXTRA_METADATA})
            return response

    DiscoveryView.__name__ = DiscoveryView.__qualname__ = view_class.__name__
    return DiscoveryView
