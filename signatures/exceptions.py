"""Errors of the signatures app: refused signatures, replayed nonces, undecryptable payloads."""

from rest_framework import exceptions

from apiproject.exceptions import ServiceUnavailable


class SignatureRejected(exceptions.AuthenticationFailed):
    # Raised with the precise code of signatures.message_signatures (signature_malformed, digest_mismatch,
    # ...); unknown, revoked and expired keys and wrong secrets all read as signature_invalid.
    default_detail = "Invalid signature."
    default_code = "signature_invalid"


class NonceReused(exceptions.AuthenticationFailed):
    default_detail = "This signature's nonce has already been used."
    default_code = "nonce_reused"


class NonceStoreUnavailable(ServiceUnavailable):
    default_detail = "The replay check is unavailable; try again later."
    default_code = "nonce_store_unavailable"


class PayloadUndecryptable(exceptions.ParseError):
    default_detail = "The encrypted body could not be decrypted."
    default_code = "payload_undecryptable"
