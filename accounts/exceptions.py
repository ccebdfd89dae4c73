"""Authentication and authorization failures of the API, each with its machine-readable code."""

from rest_framework import exceptions

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
