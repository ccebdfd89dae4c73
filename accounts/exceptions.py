"""Authentication and authorization failures of the API, each with its machine-readable code."""

from rest_framework import exceptions


class ClientRequired(exceptions.NotAuthenticated):
    default_detail = "This endpoint needs the calling app's identity (API key or signature)."
    default_code = "client_required"


class InvalidApiKey(exceptions.AuthenticationFailed):
    # One message for unknown, revoked and expired keys: the caller learns nothing about which.
    default_detail = "Invalid API key."
    default_code = "invalid_api_key"


class MalformedCredentials(exceptions.AuthenticationFailed):
    default_detail = "Malformed credentials."
    default_code = "malformed_credentials"


class SignatureRequired(exceptions.AuthenticationFailed):
    default_detail = "This app must sign its requests (RFC 9421)."
    default_code = "signature_required"


class UserAgentRejected(exceptions.PermissionDenied):
    default_detail = "This User-Agent is not allowed for this app."
    default_code = "user_agent_rejected"


class ClientMismatch(exceptions.AuthenticationFailed):
    default_detail = "The token was issued to another app."
    default_code = "client_mismatch"


class InsufficientScope(exceptions.PermissionDenied):
    default_detail = "The token lacks the scope this endpoint needs."
    default_code = "insufficient_scope"


# --- User credentials and login sessions ---------------------------------------------------------


class InvalidCredentials(exceptions.AuthenticationFailed):
    # One message for an unknown user, a wrong password and an inactive account.
    default_detail = "Invalid username or password."
    default_code = "invalid_credentials"


class InvalidSessionToken(exceptions.AuthenticationFailed):
    # One message for unknown, revoked, expired and idle tokens and for inactive users.
    default_detail = "Invalid or expired token."
    default_code = "invalid_token"


class TooManyLoginAttempts(exceptions.Throttled):
    default_detail = "Too many failed logins; try again later."
    default_code = "too_many_attempts"


class SessionTokenRequired(exceptions.PermissionDenied):
    default_detail = "This endpoint acts on the session token that authenticated the request."
    default_code = "session_token_required"
