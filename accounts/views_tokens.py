"""Views of JWT logins: obtain, refresh, revoke and verify tokens; the JWKS that verifies them."""

from datetime import UTC, datetime

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import jwt
from accounts.exceptions import ClientRequired
from accounts.permissions import HasClient
from accounts.records import request_app
from accounts.serializers import (
    LoginSerializer,
    RefreshTokenSerializer,
    TokenPairSerializer,
    TokenVerifyResultSerializer,
    TokenVerifySerializer,
)
from accounts.services.sessions import credentials_check
from accounts.services.tokens import refresh_token_revoke, refresh_token_rotate, token_pair_obtain, token_verify
from apiproject.client_cert import client_certificate_thumbprint
from dpop.binding import issue_binding

UNAUTHORIZED = OpenApiResponse(description="invalid_token, client_mismatch or client_required")


def calling_client_id(request: Request) -> str:
    """Return the calling app's client_id; tokens are bound to an app, so one is required.

    HasClient lets browser-session requests through without an app; these views do not. Nor
    do they take the app from an OAuth2 access token: a delegated token must not mint the
    user other credentials, so the app identifies itself with its key or a signature.
    """
    app = request_app(request)
    if app is None or app.scheme == "oauth2":
        raise ClientRequired()
    return app.client_id


def token_response(data: dict, status_code: int = status.HTTP_200_OK) -> Response:
    # RFC 6749 §5.1: responses carrying tokens must not be stored by any cache.
    return Response(data, status=status_code, headers={"Cache-Control": "no-store"})


class TokenObtainView(APIView):
    """Exchanges a username and password for an access token and a refresh token for this app.

    Same failures and brute-force budget as password login (accounts.services.sessions).
    """

    permission_classes = [HasClient]

    @extend_schema(
        request=LoginSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(description="invalid_credentials or client_required"),
            429: OpenApiResponse(description="too_many_attempts, with Retry-After"),
        },
    )
    def post(self, request: Request) -> Response:
        client_id = calling_client_id(request)
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        jkt = issue_binding(request, client_id=client_id)  # DPoP (API.md §12): before the password
        user = credentials_check(request=request, **serializer.validated_data)
        x5t = client_certificate_thumbprint(request.META)  # mutual TLS (RFC 8705 §3)
        pair = token_pair_obtain(user=user, client_id=client_id, jkt=jkt, x5t=x5t)
        return token_response(TokenPairSerializer(pair._asdict()).data)


class TokenRefreshView(APIView):
    """Exchanges a refresh token for a new pair; the old refresh token is dead from then on.

    Presenting a refresh token that was already exchanged revokes its whole login (reuse).
    """

    permission_classes = [HasClient]

    @extend_schema(request=RefreshTokenSerializer, responses={200: TokenPairSerializer, 401: UNAUTHORIZED})
    def post(self, request: Request) -> Response:
        client_id = calling_client_id(request)
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        jkt = issue_binding(request, client_id=client_id)
        pair = refresh_token_rotate(
            refresh=serializer.validated_data["refresh"], client_id=client_id, request=request, jkt=jkt
        )
        return token_response(TokenPairSerializer(pair._asdict()).data)


class TokenRevokeView(APIView):
    """Ends the login a refresh token belongs to (RFC 7009); unknown tokens are not an error."""

    permission_classes = [HasClient]

    @extend_schema(request=RefreshTokenSerializer, responses={204: None, 401: UNAUTHORIZED})
    def post(self, request: Request) -> Response:
        client_id = calling_client_id(request)
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refresh_token_revoke(refresh=serializer.validated_data["refresh"], client_id=client_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenVerifyView(APIView):
    """Answers 200 for a valid access token or live refresh token of this app, 401 otherwise."""

    permission_classes = [HasClient]

    @extend_schema(request=TokenVerifySerializer, responses={200: TokenVerifyResultSerializer, 401: UNAUTHORIZED})
    def post(self, request: Request) -> Response:
        client_id = calling_client_id(request)
        serializer = TokenVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claims = token_verify(token=serializer.validated_data["token"], client_id=client_id)
        result = {
            "token_type": claims["token_type"],
            "expires_at": datetime.fromtimestamp(claims["exp"], tz=UTC),
        }
        return Response(TokenVerifyResultSerializer(result).data)


class JwksView(APIView):
    """The public keys that verify this server's tokens (RFC 7517 JWK Set); open to anyone."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [JSONRenderer]

    @extend_schema(responses={200: OpenApiResponse(description="RFC 7517 JWK Set")})
    def get(self, request: Request) -> Response:
        # Verifiers may cache it briefly; after a key rotation they refetch on an unknown kid.
        return Response(jwt.jwks(), headers={"Cache-Control": "public, max-age=300"})
