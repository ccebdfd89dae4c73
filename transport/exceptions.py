"""Mutual-TLS failures of the API, each with its machine-readable code."""

from rest_framework import exceptions


class MtlsRequired(exceptions.AuthenticationFailed):
    default_detail = "This app must call over mutual TLS with one of its client certificates."
    default_code = "mtls_required"


class InvalidClientCertificate(exceptions.AuthenticationFailed):
    # One message for a malformed header, an expired certificate and an unreadable one.
    default_detail = "The client certificate is invalid or expired."
    default_code = "invalid_client_certificate"
