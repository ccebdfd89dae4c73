"""OpenAPI security scheme of attestation-based client authentication (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ClientAttestationScheme(OpenApiAuthenticationExtension):
    target_class = "attestation.authentication.ClientAttestationAuthentication"
    name = "clientAttestation"

    def get_security_definition(self, auto_schema):
        # Two headers make one credential; OpenAPI names one per scheme, so the description names the other.
        return {
            "type": "apiKey",
            "in": "header",
            "name": "OAuth-Client-Attestation",
            "description": "A client attestation (a JWT signed by the app's registered attester, sub = client_id, "
            "cnf.jwk = the instance key), sent with an OAuth-Client-Attestation-PoP header signed by that key "
            "(draft-ietf-oauth-attestation-based-client-auth). Identifies the app like a key. See docs/mobile.md.",
        }
