"""simplejwt's token classes, signed and verified through accounts.jwt_codec, and the JWT failures.

djangorestframework-simplejwt builds the payloads (`for_user`, `exp`, `iat`, `jti`, the type
claim) and parses the `Bearer` header; accounts.jwt_codec holds the key, the kid and the strict
checks. simplejwt reads SIMPLE_JWT once, at import, so everything that may change between
deployments or tests (key, algorithm, issuer, audience, lifetimes) is read here when a token
is made or checked, from the JWT_* settings.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework_simplejwt import backends, tokens
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

from accounts import jwt_codec


class InvalidToken(exceptions.AuthenticationFailed):
    # One message for malformed, forged, expired, revoked, reused and wrong-type tokens.
    default_detail = "Invalid or expired token."
    default_code = "invalid_token"


class TokenBackend(backends.TokenBackend):
    """simplejwt's backend for one token type, with the key and strict checks of accounts.jwt_codec."""

    def __init__(self, token_type: str) -> None:
        super().__init__(
            jwt_codec.jwt_algorithm(),
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            leeway=jwt_codec.LEEWAY_SECONDS,
        )
        self.token_type = token_type

    def encode(self, payload: dict[str, Any]) -> str:
        return jwt_codec.jwt_encode({**payload, "iss": self.issuer, "aud": self.audience})

    def decode(self, token: str | bytes, verify: bool = True) -> dict[str, Any]:
        if not verify:
            raise TokenBackendError("Tokens are always verified.")
        try:
            return jwt_codec.jwt_decode(token, token_type=self.token_type)
        except jwt_codec.ForeignToken:
            raise  # not a TokenBackendError: it reaches JWTAuthentication, which passes it on
        except jwt_codec.TokenExpired as exc:
            raise TokenBackendExpiredToken("Token is expired") from exc
        except jwt_codec.TokenInvalid as exc:
            raise TokenBackendError("Token is invalid") from exc


class AppBoundToken(tokens.Token):
    """A token that names the app (`client_id`) that obtained it."""

    def get_token_backend(self) -> TokenBackend:
        return TokenBackend(self.token_type)

    @classmethod
    def for_app_user(cls, user, *, client_id: str) -> "AppBoundToken":
        """Return a new token for `user`, bound to the app `client_id`."""
        token = cls.for_user(user)  # simplejwt: sub, exp, iat, jti, token_type
        token["client_id"] = client_id
        return token


class AccessToken(AppBoundToken, tokens.AccessToken):
    """A short-lived access token: verified by signature alone, on every request."""

    @property
    def lifetime(self) -> timedelta:
        return settings.JWT_ACCESS_TOKEN_LIFETIME

    @classmethod
    def for_user(cls, user) -> "AccessToken":
        token = super().for_user(user)
        # The name whoami shows, so that a request needs no query; nothing that grants rights.
        token["username"] = user.get_username()
        return token


class RefreshToken(AppBoundToken, tokens.RefreshToken):
    """A refresh token: single use, recorded by digest in RefreshTokenRecord (never stored)."""

    access_token_class = AccessToken

    @property
    def lifetime(self) -> timedelta:
        return settings.JWT_REFRESH_TOKEN_LIFETIME
