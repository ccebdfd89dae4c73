"""Client attestation as app identity on /api/v1/: `OAuth-Client-Attestation` with its PoP."""

from rest_framework import authentication
from rest_framework.request import Request

from apiproject import replay
from apiproject.identity import AppIdentity, request_app, set_app
from attestation.exceptions import InvalidClientAttestation
from attestation.services import attestation_headers_present, attestation_verify
from clients.throttling import client_nonce_claim_and_count
from oauth.resource_server import expected_issuer


class ClientAttestationAuthentication(authentication.BaseAuthentication):
    """Identifies the calling app by a client attestation and its PoP; never authenticates a user.

    Like the key and signature schemes it returns None after recording the app on the request
    (`request.app`, scheme "attestation", no key), so a user scheme later in the list can
    authenticate the person. It runs after the signature scheme: a request already identified
    by a signature is not identified twice.
    """

    scheme_name = "attestation"
    identifies_app = True  # for the views that order app schemes before user schemes

    def authenticate(self, request: Request) -> None:
        meta = request._request.META
        if not attestation_headers_present(meta) or request_app(request) is not None:
            return None
        attested = attestation_verify(
            meta=meta,
            kind="api_client",
            client_id=None,
            # API.md §13: the PoP's audience is this server's issuer, on /api/v1/ as at /o/token/.
            audience=expected_issuer(request._request),
        )
        app = AppIdentity(
            client_id=attested.app.client_id,
            scheme=self.scheme_name,
            client_pk=attested.app.client_pk,
            throttle_rate=attested.app.throttle_rate,
        )
        # The app is known (its attester vouched for this instance): a replay below is counted
        # in its usage as a 401, as a replayed signature is.
        set_app(request, app)
        # Last, in the same round trip as the app's throttle count (ClientRateThrottle reuses it),
        # as signature nonces are: a replay spends none of its budget; the store down gives 503.
        key = replay.claim_key(attested.jti_namespace, attested.jti)
        claim = client_nonce_claim_and_count(request, app, key=key, ttl=attested.jti_ttl, issued_at=attested.iat)
        # Taken before, or made before the replay store last lost its memory (apiproject.replay).
        if claim is not replay.Claim.NEW:
            raise InvalidClientAttestation()
        return None

    def authenticate_header(self, request: Request) -> str:
        return 'OAuth-Client-Attestation realm="api"'
