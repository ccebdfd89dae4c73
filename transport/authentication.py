"""Mutual TLS: the app named by the client certificate that the trusted proxy verified (scheme `mtls`)."""

from rest_framework import authentication
from rest_framework.request import Request

from apiproject.identity import request_app, set_app
from transport.client_cert import MalformedClientCertificate, client_certificate_der
from transport.crypto import der_thumbprint
from transport.exceptions import InvalidClientCertificate, MtlsRequired
from transport.selectors import certificate_lookup, mtls_required


class MutualTlsAuthentication(authentication.BaseAuthentication):
    """Identifies the calling app by its client certificate, and enforces `--require-mtls`.

    Runs after the key and signature schemes. When they named the app, an app that requires
    mutual TLS must also present one of its own certificates, or the request gets 401
    `mtls_required`. When they did not, a bound certificate names the app by itself. Never
    authenticates a user: returns None so that the user schemes after it still run.
    """

    scheme_name = "mtls"

    def authenticate(self, request: Request) -> None:
        try:
            der = client_certificate_der(request._request.META)
        except MalformedClientCertificate as exc:
            raise InvalidClientCertificate() from exc
        record = certificate_lookup(der_thumbprint(der)) if der is not None else None
        app = request_app(request)
        if app is not None:
            if app.client_pk is not None and mtls_required(app.client_pk):
                if record is None or not record.is_usable() or record.identity.client_pk != app.client_pk:
                    raise MtlsRequired()
            return None
        if record is None:
            return None  # no certificate, or one the client CA signed for no app of ours
        if not record.is_usable():
            raise InvalidClientCertificate()
        set_app(request, record.identity)
        return None

    def authenticate_header(self, request: Request) -> str:
        # No HTTP authentication scheme exists for TLS client certificates; the challenge names
        # the realm so that a 401 still carries WWW-Authenticate (API.md §0).
        return 'Mutual-TLS realm="api"'
