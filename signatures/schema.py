"""OpenAPI description of the signed-request scheme (RFC 9421)."""

from apiproject.schema import HeaderScheme


class HttpSignatureScheme(HeaderScheme):
    target_class = "signatures.authentication.HttpSignatureAuthentication"
    name = "httpSignature"
    # OpenAPI has no type for RFC 9421; describe the pair of headers as an apiKey scheme.
    header = "Signature"
    description = (
        "RFC 9421 HMAC-SHA256 signature with its Signature-Input (keyid = the key id, "
        "created, nonce) and Content-Digest for bodies; see docs/request-signing.md."
    )
