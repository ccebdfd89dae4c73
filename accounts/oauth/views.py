"""Views of the authorization server that differ from the toolkit's: login, and introspection."""

import json

import jwt
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, JsonResponse
from oauth2_provider import views as oauth2_views

from accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    """The sign-in page in front of /o/authorize/, limited like every other password login."""

    form_class = LoginForm
    redirect_authenticated_user = True


class IntrospectTokenView(oauth2_views.IntrospectTokenView):
    """RFC 7662 introspection, open to confidential clients that authenticate (resource servers).

    The toolkit decides `active` from its database: issued here, not revoked (revoking deletes
    the row) and not expired. An active answer also carries the token's RFC 9068 claims, so a
    resource server that introspects sees the same user, app and audience as one that reads
    the JWT itself.
    """

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
