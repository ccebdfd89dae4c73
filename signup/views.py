"""Public signup: a captcha buys a short-lived anonymous token, which buys a few lookups and one account."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apiproject.client_ip import client_ip
from attestation.authentication import ClientAttestationAuthentication
from clients.authentication import ApiKeyAuthentication
from clients.permissions import HasClient
from clients.throttling import ClientRateThrottle
from dpop.binding import issue_binding
from signatures.authentication import HttpSignatureAuthentication
from signup import serializers
from signup.authentication import AnonymousTokenAuthentication
from signup.captcha.base import CaptchaInvalid, get_captcha_backend
from signup.permissions import HasSignupScope
from signup.selectors import person_exists, signup_proof_policy
from signup.services import person_create, signup_session_start
from signup.throttling import AnonymousTokenLookupThrottle, LookupClientThrottle, LookupIpThrottle, SessionIpThrottle

# The app identifies itself by a signature, a client attestation (a mobile app) or a key.
SIGNUP_APP_AUTHENTICATION = (HttpSignatureAuthentication, ClientAttestationAuthentication, ApiKeyAuthentication)

# Every answer that can say whether a person exists counts against all three budgets.
LOOKUP_THROTTLES = [ClientRateThrottle, LookupClientThrottle, LookupIpThrottle, AnonymousTokenLookupThrottle]


def no_store(response: Response) -> Response:
    # RFC 9111 §5.2.2.5: challenges, tokens and answers about people are for this caller only.
    response["Cache-Control"] = "no-store"
    return response


class CaptchaView(APIView):
    """Issues a captcha challenge: an ALTCHA challenge to solve, or the widget's site key."""

    authentication_classes = SIGNUP_APP_AUTHENTICATION
    permission_classes = [HasClient]
    throttle_classes = [ClientRateThrottle]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return no_store(Response(get_captcha_backend().challenge()))


class SignupSessionView(APIView):
    """Exchanges a solved captcha, or an app's attestation, for an anonymous signup token."""

    authentication_classes = SIGNUP_APP_AUTHENTICATION
    permission_classes = [HasClient]
    throttle_classes = [ClientRateThrottle, SessionIpThrottle]

    @extend_schema(
        request=serializers.SignupSessionRequestSerializer, responses={201: serializers.SignupSessionSerializer}
    )
    def post(self, request: Request) -> Response:
        serializer = serializers.SignupSessionRequestSerializer(data=request.data)
        if not serializer.is_valid():
            # Missing, null, a list, a null byte: one answer for every bad captcha (API.md §7).
            raise CaptchaInvalid()
        # Before the captcha is spent: a bad DPoP proof must not cost the person their solution.
        jkt = issue_binding(request, client_id=request.app.client_id)
        token, expires_in = signup_session_start(
            captcha=serializer.validated_data.get("captcha"),
            client_id=request.app.client_id,
            remote_ip=client_ip(request) or None,
            attested=request.app.scheme == ClientAttestationAuthentication.scheme_name,
            policy=signup_proof_policy(client_pk=request.app.client_pk),
            jkt=jkt,
        )
        body = serializers.SignupSessionSerializer({"token": token, "expires_in": expires_in}).data
        return no_store(Response(body, status=status.HTTP_201_CREATED))


class FindPersonView(APIView):
    """Answers whether a person with this e-mail address or username exists, and nothing more.

    POST, not GET: the address stays out of URLs, access logs and caches.
    """

    authentication_classes = [*SIGNUP_APP_AUTHENTICATION, AnonymousTokenAuthentication]
    permission_classes = [HasClient, HasSignupScope]
    throttle_classes = LOOKUP_THROTTLES

    @extend_schema(request=serializers.FindPersonSerializer, responses=serializers.PersonExistsSerializer)
    def post(self, request: Request) -> Response:
        serializer = serializers.FindPersonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exists = person_exists(**serializer.validated_data)
        return no_store(Response(serializers.PersonExistsSerializer({"exists": exists}).data))


class CreatePersonView(APIView):
    """Creates a person, spending the anonymous token: one token, at most one account."""

    authentication_classes = [*SIGNUP_APP_AUTHENTICATION, AnonymousTokenAuthentication]
    permission_classes = [HasClient, HasSignupScope]
    # A duplicate answers as find-person would, so creation attempts count against its budgets.
    throttle_classes = LOOKUP_THROTTLES

    @extend_schema(
        request=serializers.PersonCreateSerializer,
        responses={
            201: serializers.PersonSerializer,
            409: OpenApiResponse(description="duplicate: the username or e-mail address is taken"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = serializers.PersonCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = person_create(**serializer.validated_data, token_claims=request.auth, request=request)
        return Response(serializers.PersonSerializer(user).data, status=status.HTTP_201_CREATED)
