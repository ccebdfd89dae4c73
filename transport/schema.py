"""OpenAPI security scheme of mutual TLS (drf-spectacular)."""

from apiproject.schema import HeaderScheme


class MutualTlsScheme(HeaderScheme):
    target_class = "transport.authentication.MutualTlsAuthentication"
    name = "mutualTLS"
    # OpenAPI 3.0 has no mutualTLS type (3.1 has); the header is what the app reads.
    header = "Client-Cert"
    description = (
        "A client certificate bound to the app, presented in the TLS handshake. The "
        "TLS-terminating proxy (DJANGO_TRUSTED_PROXIES) forwards it as Client-Cert (RFC 9440); "
        "from anyone else the header is ignored. See docs/transport-security.md."
    )
