"""DPoP at the OAuth2 token endpoint (RFC 9449 §5): the toolkit issues bearer tokens only.

django-oauth-toolkit and oauthlib know nothing of DPoP, so the binding goes through the
three places they let a project in:

1. `TokenView`, the Django view in front of oauthlib: the proof is checked here, against the
   Django request (its public URL, its method), and its thumbprint handed to oauthlib in the
   WSGI environ under JKT_ENVIRON_KEY, which no client can set (client headers arrive as
   HTTP_*), and which the toolkit copies into the oauthlib request's headers.
2. The request validator (oauth.validators calls the `*_check` functions below): an
   app that requires DPoP gets no token without a proof; a bound refresh family refreshes
   only with a proof by its key; a new refresh family is bound; the response's token_type
   becomes DPoP.
3. The access token generator (oauth.generators) writes `cnf.jkt` into the JWT.

Errors use RFC 6749 §5.2's format with RFC 9449's `invalid_dpop_proof` code (400).
"""

import json
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from oauth2_provider import views as oauth2_views
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from dpop.binding import request_proof
from dpop.exceptions import InvalidDPoPProof, ReplayStoreUnavailable
from dpop.proofs import ALGORITHMS
from dpop.selectors import dpop_required, refresh_family_jkt
from dpop.services import refresh_family_bind

JKT_ENVIRON_KEY = "dpop.jkt"  # set by TokenView only; clients' headers are all HTTP_*


class TokenView(oauth2_views.TokenView):
    """The toolkit's token endpoint, which first checks a DPoP proof if the client sent one."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.META.pop(JKT_ENVIRON_KEY, None)
        try:
            proof = request_proof(request)
        except InvalidDPoPProof as exc:
            return _error("invalid_dpop_proof", str(exc.detail), status=400)
        except ReplayStoreUnavailable:
            return _error("temporarily_unavailable", "The DPoP replay check is unavailable.", status=503)
        if proof is not None:
            request.META[JKT_ENVIRON_KEY] = proof.jkt
        return super().post(request, *args, **kwargs)


class DPoPMetadataMixin:
    """Adds RFC 9449 §5.1's `dpop_signing_alg_values_supported` to a toolkit discovery document."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        metadata = json.loads(response.content)
        metadata["dpop_signing_alg_values_supported"] = list(ALGORITHMS)
        response.content = json.dumps(metadata)
        return response


class ConnectDiscoveryInfoView(DPoPMetadataMixin, oauth2_views.ConnectDiscoveryInfoView):
    """OpenID Connect discovery, advertising DPoP."""


class OAuthServerMetadataView(DPoPMetadataMixin, oauth2_views.OAuthServerMetadataView):
    """RFC 8414 authorization server metadata, advertising DPoP."""


def _error(error: str, description: str, *, status: int) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def request_dpop_jkt(request: OAuthlibRequest) -> str | None:
    """Return the thumbprint of the DPoP key this token request proved, or None."""
    return (request.headers or {}).get(JKT_ENVIRON_KEY) or None


def _invalid_dpop_proof(description: str, request: OAuthlibRequest) -> errors.OAuth2Error:
    return errors.CustomOAuth2Error("invalid_dpop_proof", description=description, request=request, status_code=400)


def grant_check(request: OAuthlibRequest) -> None:
    """Refuse a grant without a proof for an app that requires DPoP (API.md §12)."""
    if request_dpop_jkt(request) is None and dpop_required(client_id=request.client.client_id):
        raise _invalid_dpop_proof("This client must send a DPoP proof.", request)


def refresh_check(request: OAuthlibRequest, *, token_family: uuid.UUID | None) -> None:
    """Refuse to refresh a bound family without a proof by its key (RFC 9449 §5)."""
    bound = refresh_family_jkt(token_family=token_family)
    if bound is not None and request_dpop_jkt(request) != bound:
        raise _invalid_dpop_proof("This refresh token is bound to another DPoP key.", request)


def refresh_token_bind(request: OAuthlibRequest, *, token_family: uuid.UUID | None) -> None:
    """Bind a refresh token issued with a proof to its key (its family, so every successor too)."""
    jkt = request_dpop_jkt(request)
    if jkt is not None and token_family is not None:
        refresh_family_bind(token_family=token_family, jkt=jkt)


def token_response_type(token: dict, request: OAuthlibRequest) -> None:
    """RFC 9449 §5: a bound token's response says `"token_type": "DPoP"`."""
    if request_dpop_jkt(request) is not None:
        token["token_type"] = "DPoP"


__all__ = [
    "JKT_ENVIRON_KEY",
    "ConnectDiscoveryInfoView",
    "OAuthServerMetadataView",
    "TokenView",
    "grant_check",
    "refresh_check",
    "refresh_token_bind",
    "request_dpop_jkt",
    "token_response_type",
]
