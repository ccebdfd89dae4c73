"""DPoP at a request's edge: read the proof, verify it for this request, check a token's binding.

The glue between dpop.proofs (pure) and the places that issue and accept tokens: the JWT,
OAuth2 and anonymous-token authentication classes, the JWT and signup token views, and the
OAuth2 token endpoint. Every refusal is a DRF exception with its code and DPoP challenge.
"""

import hmac
import time
from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request

from apiproject.counters import Rider
from dpop import proofs
from dpop.exceptions import DPoPBoundToken, InvalidDPoPProof
from dpop.selectors import dpop_required
from dpop.services import proof_jti_accept

HEADER = "HTTP_DPOP"  # RFC 9449 §4.1: the `DPoP` request header
SCHEME = "dpop"  # RFC 9449 §7.1: `Authorization: DPoP <token>`, case-insensitive (RFC 9110 §11.1)


def request_url(request: HttpRequest) -> str:
    """Return the URL the client addressed, without the query: what `htu` must name.

    build_absolute_uri honours X-Forwarded-Proto and X-Forwarded-Host, which
    TrustedProxyHeadersMiddleware leaves in place only when the peer is one of
    DJANGO_TRUSTED_PROXIES (apiproject.client_ip): behind the proxy, the public URL.
    """
    return request.build_absolute_uri(request.path)


def request_proof(
    request: Request | HttpRequest,
    *,
    access_token: str | None = None,
    jkt: str | None = None,
    rider: Rider | None = None,
) -> proofs.Proof | None:
    """Return this request's verified DPoP proof, None if it sent none, or raise InvalidDPoPProof.

    With `access_token` the proof must carry its `ath`; with `jkt` it must be signed by that
    key. Its `jti` is taken last, so that neither a forged proof nor another key's can use one
    up, in a round trip that `rider`'s commands join. The verified proof is kept as
    `request.dpop_proof` (whoami names the scheme).
    """
    django_request = getattr(request, "_request", request)
    value = django_request.META.get(HEADER)
    if value is None:
        return None
    try:
        proof = proofs.proof_verify(
            value,
            method=django_request.method,
            url=request_url(django_request),
            now=time.time(),
            access_token=access_token,
        )
    except proofs.ProofInvalid as exc:
        raise InvalidDPoPProof(str(exc)) from exc
    if jkt is not None and not hmac.compare_digest(proof.jkt, jkt):
        raise InvalidDPoPProof("The proof is signed by another key than the token is bound to.")
    proof_jti_accept(proof=proof, request=request, rider=rider)
    django_request.dpop_proof = proof
    return proof


def cnf_jkt(claims: dict[str, Any]) -> str | None:
    """Return the `cnf.jkt` of verified token claims (RFC 9449 §6.1), or None for an unbound token."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


def token_binding_check(
    request: Request | HttpRequest, *, scheme: str, token: str, jkt: str | None, rider: Rider | None = None
) -> None:
    """Check that a verified access token came as its binding requires, or raise.

    A bound token (`jkt`) must come as `Authorization: DPoP` with a proof by its key for this
    request (RFC 9449 §7.1); as Bearer it is refused (§7.2: else a thief who copied it would
    just drop the proof). An unbound token sent as DPoP is refused too: the scheme claims a
    binding the token does not have. The proof's round trip carries `rider`'s commands.
    """
    if jkt is None:
        if scheme == SCHEME:
            raise DPoPBoundToken("This token is not DPoP-bound; send it as Bearer.")
        return
    if scheme != SCHEME:
        raise DPoPBoundToken("This token is DPoP-bound; send it as Authorization: DPoP with a proof.")
    if request_proof(request, access_token=token, jkt=jkt, rider=rider) is None:
        raise InvalidDPoPProof("A DPoP-bound token needs a DPoP proof header.")


def request_used_dpop(request: Request | HttpRequest) -> bool:
    """Return whether a DPoP proof was verified for this request."""
    return getattr(getattr(request, "_request", request), "dpop_proof", None) is not None


def issue_binding(request: Request | HttpRequest, *, client_id: str) -> str | None:
    """Return the thumbprint to bind the tokens a view is about to issue to, or None for bearer.

    The request's proof (for this URL and method, no `ath`: no token yet) names the key. An
    app set to require DPoP (`--require-dpop`) gets no token without one.
    """
    proof = request_proof(request)
    if proof is None and dpop_required(client_id=client_id):
        raise InvalidDPoPProof("This app must send a DPoP proof to obtain tokens.")
    return proof.jkt if proof is not None else None


def refresh_binding_check(claims: dict[str, Any], *, jkt: str | None) -> None:
    """RFC 9449 §5: a refresh token issued with DPoP refreshes only with a proof by the same key."""
    bound = cnf_jkt(claims)
    if bound is not None and (jkt is None or not hmac.compare_digest(bound, jkt)):
        raise InvalidDPoPProof("This refresh token is bound to another DPoP key.")


def cnf_claims(jkt: str | None) -> dict[str, Any]:
    """Return the claims that bind a new token to `jkt` (RFC 9449 §6.1), or none for a bearer token."""
    return {"cnf": {"jkt": jkt}} if jkt else {}
