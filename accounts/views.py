"""Views of the accounts app: login sessions (/auth/login, sessions, logout) and JWTs (/auth/token..., JWKS)."""

import base64
import binascii
import logging
import uuid
from datetime import UTC, datetime

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import jwt_codec
from accounts.exceptions import SessionTokenRequired
from accounts.models import LoginSession
from accounts.selectors import login_sessions_live
from accounts.serializers import (
    LoginResultSerializer,
    LoginSerializer,
    LoginSessionSerializer,
    RefreshTokenSerializer,
    TokenPairSerializer,
    TokenVerifyResultSerializer,
    TokenVerifySerializer,
)
from accounts.services.credentials import user_logout_all
from accounts.services.login import credentials_check, login_session_create, login_session_revoke
from accounts.services.refresh_tokens import refresh_token_revoke, refresh_token_rotate, token_pair_obtain, token_verify
from apiproject.authorization import MalformedAuthorization, authorization_credentials
from apiproject.client_ip import client_ip
from apiproject.exceptions import MalformedCredentials
from apiproject.identity import request_app
from apiproject.permissions import IsNotDelegated
from clients.exceptions import ClientRequired
from clients.permissions import HasClient
from dpop.binding import issue_binding
from transport.client_cert import client_certificate_thumbprint

logger = logging.getLogger(__name__)


# RFC 7617 §2.1: the charset parameter tells clients to send the user id and password in UTF-8.
BASIC_CHALLENGE = 'Basic realm="api", charset="UTF-8"'


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """Return (username, password) from `Authorization: Basic`, or None if the header is absent.

    RFC 7617: base64 of `user-id ":" password`, split at the first colon (a user id cannot
    contain one). Only UTF-8 is accepted; anything that does not decode is malformed.
    """
    try:
        found = authorization_credentials(request, "basic")
    except MalformedAuthorization as exc:
        raise MalformedCredentials("Authorization: Basic takes exactly one base64 value.") from exc
    if found is None:
        return None
    _, value = found
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise MalformedCredentials("Basic credentials must be base64 of UTF-8 text.") from exc
    username, colon, password = decoded.partition(":")
    if not colon:
        raise MalformedCredentials("Basic credentials must read username:password.")
    return username, password


class LoginView(APIView):
    """Exchanges a username and password for a new session token.

    Credentials come in `Authorization: Basic`, or as a JSON body. The password is checked
    only after app identity, the app's throttle and the login failure budgets have passed.
    """

    permission_classes = [HasClient]

    @extend_schema(
        request=LoginSerializer,
        responses={
            201: LoginResultSerializer,
            401: OpenApiResponse(description="invalid_credentials, malformed_credentials or client_required"),
            429: OpenApiResponse(description="too_many_attempts, with Retry-After"),
        },
    )
    def post(self, request: Request) -> Response:
        client_id = calling_client_id(request)  # even for a browser session: the token is bound to an app
        credentials = basic_credentials(request)
        if credentials is None:
            serializer = LoginSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            credentials = serializer.validated_data["username"], serializer.validated_data["password"]
        username, password = credentials
        user = credentials_check(request=request, username=username, password=password)
        session, token = login_session_create(
            user=user,
            client_id=client_id,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            ip=client_ip(request),
        )
        result = {"token": token, "session_id": session.pk, "expires_at": session.expires_at}
        return token_response(LoginResultSerializer(result).data, status.HTTP_201_CREATED)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            challenges = response.get("WWW-Authenticate")
            response["WWW-Authenticate"] = f"{BASIC_CHALLENGE}, {challenges}" if challenges else BASIC_CHALLENGE
        return response


class SessionListView(APIView):
    """Lists the caller's live login sessions; `current` marks the one making this request."""

    permission_classes = [HasClient, IsAuthenticated, IsNotDelegated]

    @extend_schema(responses=LoginSessionSerializer(many=True))
    def get(self, request: Request) -> Response:
        sessions = login_sessions_live(user=request.user)
        return Response(LoginSessionSerializer(sessions, many=True, context={"request": request}).data)


class SessionDetailView(APIView):
    """Revokes one of the caller's sessions; another user's session reads as not found."""

    permission_classes = [HasClient, IsAuthenticated, IsNotDelegated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, session_id: str) -> Response:
        try:
            session_uuid = uuid.UUID(session_id)
        except ValueError as exc:  # not a session id at all: not found, like any other
            raise NotFound() from exc
        session = get_object_or_404(login_sessions_live(user=request.user), pk=session_uuid)
        login_session_revoke(session=session, request=request, reason="revoked")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(APIView):
    """Revokes the session token that authenticated this request."""

    permission_classes = [HasClient, IsAuthenticated, IsNotDelegated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if not isinstance(request.auth, LoginSession):
            raise SessionTokenRequired()
        login_session_revoke(session=request.auth, request=request, reason="logout")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Signs the caller out everywhere: session tokens, JWT and OAuth2 refresh tokens, browser sessions."""

    permission_classes = [HasClient, IsAuthenticated, IsNotDelegated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        user_logout_all(user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


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

    Same failures and brute-force budget as password login (accounts.services.login).
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
        return Response(jwt_codec.jwks(), headers={"Cache-Control": "public, max-age=300"})
