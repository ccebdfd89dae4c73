"""OpenAPI security scheme of attestation-based client authentication (drf-spectacular)."""

from apiproject.schema import HeaderScheme


class ClientAttestationScheme(HeaderScheme):
    target_class = "attestation.authentication.ClientAttestationAuthentication"
    name = "clientAttestation"
    # Two headers make one credential; OpenAPI names one per scheme, so the description names the other.
    header = "OAuth-Client-Attestation"
    description = (
        "A client attestation (a JWT signed by the app's registered attester, sub = client_id, "
        "cnf.jwk = the instance key), sent with an OAuth-Client-Attestation-PoP header signed by that key "
        "(draft-ietf-oauth-attestation-based-client-auth). Identifies the app like a key. See docs/mobile.md."
    )
