"""Failures of attestation-based client authentication, each with its machine-readable code."""

from rest_framework import exceptions

from apiproject.exceptions import ServiceUnavailable


class InvalidClientAttestation(exceptions.AuthenticationFailed):
    # Draft -11 §7.4. One answer for every refusal: a bad signature, an unregistered attester,
    # another client's attestation, a stale or replayed PoP; malformed headers say what is wrong.
    default_detail = "Invalid client attestation."
    default_code = "invalid_client_attestation"


class AttesterUnavailable(ServiceUnavailable):
    default_detail = "The attester's keys cannot be fetched; try again later."
    default_code = "attester_unavailable"
