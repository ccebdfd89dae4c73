"""Errors of the signup app."""

from rest_framework import exceptions


class InvalidAnonymousToken(exceptions.AuthenticationFailed):
    # One message for forged, tampered, expired and consumed tokens.
    default_detail = "Invalid or expired anonymous token."
    default_code = "invalid_token"
