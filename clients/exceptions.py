"""Errors of the clients app: a missing, unknown or refused app credential."""

from rest_framework import exceptions


class ClientRequired(exceptions.NotAuthenticated):
    default_detail = "This endpoint needs the calling app's identity (API key or signature)."
    default_code = "client_required"


class InvalidApiKey(exceptions.AuthenticationFailed):
    # One message for unknown, revoked and expired keys: the caller learns nothing about which.
    default_detail = "Invalid API key."
    default_code = "invalid_api_key"


class UserAgentRejected(exceptions.PermissionDenied):
    default_detail = "This User-Agent is not allowed for this app."
    default_code = "user_agent_rejected"


class ClientMismatch(exceptions.AuthenticationFailed):
    default_detail = "The token was issued to another app."
    default_code = "client_mismatch"


class SignatureRequired(exceptions.AuthenticationFailed):
    default_detail = "This app must sign its requests (RFC 9421)."
    default_code = "signature_required"
