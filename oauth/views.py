"""Views of the authorization server that differ from the toolkit's: login, introspection, userinfo."""

import base64
import binascii
import functools
import json
from collections.abc import Callable

import jwt
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from oauth2_provider import views as oauth2_views
from oauth2_provider.models import get_application_model
from oauthlib.common import Request as OauthlibRequest
from oauthlib.common import urlencode

from accounts.forms import LoginForm
from oauth.client_auth import basic_authorization
from oauth.validators import client_id_shaped


def refuse_nul_bytes(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer RFC 6749 `invalid_request` to a parameter or Basic credential holding a NUL byte.

    The toolkit looks clients, codes and tokens up by the raw form values, and PostgreSQL
    refuses text containing U+0000 with an error, which would be a 500 from client input.
    """

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        values = [*request.GET.values(), *request.POST.values()]
        basic = basic_authorization(request)
        if basic is not None:
            try:
                values.append(base64.b64decode(basic, validate=True).decode("latin-1"))
            except (binascii.Error, ValueError):
                pass  # the toolkit refuses malformed Basic credentials itself
        if any("\x00" in value for value in values):
            return JsonResponse(
                {"error": "invalid_request", "error_description": "Parameters must not contain NUL."}, status=400
            )
        return view(request, *args, **kwargs)

    return guarded


class AuthorizationView(oauth2_views.AuthorizationView):
    """The consent page; a public client cannot ask to skip it with approval_prompt=auto.

    The toolkit's `approval_prompt=auto` skips consent when the user already holds a live token
    for the app. For a public client anyone can send that request: its client_id is public and
    nothing at the authorization endpoint proves the caller is the real app, so RFC 8252 §8.6
    says not to approve it automatically (a malicious app would get a code silently). Consent
    is skipped only by the operator's `skip_authorization`, which the model allows only on a
    first-party app.
    """

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.GET.get("approval_prompt") == "auto" and not confidential_client(request.GET.get("client_id")):
            request.GET = request.GET.copy()
            request.GET["approval_prompt"] = "force"
        return super().get(request, *args, **kwargs)


def confidential_client(client_id: str | None) -> bool:
    """Return whether `client_id` names a registered confidential application."""
    model = get_application_model()
    return (
        client_id_shaped(client_id)
        and model.objects.filter(client_id=client_id, client_type=model.CLIENT_CONFIDENTIAL).exists()
    )


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
            {name: claims[name] for name in ("iss", "aud", "sub", "iat", "jti", "username", "cnf") if name in claims},
            # RFC 9449 §6.2: a DPoP-bound token introspects with its `cnf` and as type DPoP.
            token_type="DPoP" if "jkt" in claims.get("cnf", {}) else "Bearer",
        )
        answer = JsonResponse(data)
        answer["Cache-Control"] = "no-store"
        return answer

    def unauthenticated_response(self, request: HttpRequest, oauthlib_request=None) -> JsonResponse:
        # The toolkit answers an empty 403 page; RFC 6749 §5.2 says invalid_client, 401 with a
        # challenge, and the contract says JSON. The same answer for no credentials, wrong ones,
        # a malformed Bearer token and a client not registered as a resource server.
        response = JsonResponse(
            {"error": "invalid_client", "error_description": "Authenticate as a registered resource server."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Basic realm="oauth2"'
        return response

    def post(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        # RFC 7662 §2.1: POST only; a token in a query string ends up in access logs.
        return self.get_token_response(request.POST.get("token"))

    def get(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        return JsonResponse(
            {"error": "invalid_request", "error_description": "Send the token in a POST body."}, status=405
        )


class UserInfoView(oauth2_views.UserInfoView):
    """OpenID Connect userinfo; its RFC 6750 errors are labelled as the JSON they are."""

    def _create_userinfo_response(self, request: HttpRequest) -> HttpResponse:
        response = super()._create_userinfo_response(request)
        if response.status_code >= 400:  # the toolkit sets no Content-Type on errors (text/html)
            response["Content-Type"] = "application/json"
        return response


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
