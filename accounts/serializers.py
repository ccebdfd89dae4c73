"""Serializers of the accounts app."""

from rest_framework import serializers

from accounts.models import LoginSession
from accounts.services.sessions import PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH


class WhoAmISerializer(serializers.Serializer):
    user = serializers.CharField(allow_null=True)
    client = serializers.CharField(allow_null=True)
    schemes = serializers.ListField(child=serializers.CharField())


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class DayCountSerializer(CountSerializer):
    day = serializers.DateField()


class RouteCountSerializer(CountSerializer):
    route = serializers.CharField()


class ValueCountSerializer(CountSerializer):
    value = serializers.CharField()


class UsageReportSerializer(serializers.Serializer):
    client_id = serializers.CharField()
    total = serializers.IntegerField()
    by_day = DayCountSerializer(many=True)
    by_route = RouteCountSerializer(many=True)
    by_status = serializers.DictField(child=serializers.IntegerField())
    top_user_agents = ValueCountSerializer(many=True)
    top_ips = ValueCountSerializer(many=True)


# --- Login and login sessions --------------------------------------------------------------------


class LoginSerializer(serializers.Serializer):
    """The JSON alternative to `Authorization: Basic`: {"username", "password"}."""

    # Bounded here so that an oversized body is a 400, never a hash of attacker-sized input.
    username = serializers.CharField(max_length=USERNAME_MAX_LENGTH, trim_whitespace=False)
    password = serializers.CharField(
        max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )


class LoginResultSerializer(serializers.Serializer):
    token = serializers.CharField()
    session_id = serializers.UUIDField()
    expires_at = serializers.DateTimeField()


class LoginSessionSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = LoginSession
        fields = ["id", "created_at", "last_used_at", "expires_at", "user_agent", "ip", "current"]

    def get_current(self, session: LoginSession) -> bool:
        """Whether this is the session whose token authenticated the request."""
        auth = self.context["request"].auth
        return isinstance(auth, LoginSession) and auth.pk == session.pk


# --- JWT access and refresh tokens ---------------------------------------------------------------


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshTokenSerializer(serializers.Serializer):
    """{"refresh"}; no length limit here: an oversized token is a 401 like any other bad one."""

    refresh = serializers.CharField(trim_whitespace=False)


class TokenVerifySerializer(serializers.Serializer):
    token = serializers.CharField(trim_whitespace=False)


class TokenVerifyResultSerializer(serializers.Serializer):
    token_type = serializers.ChoiceField(choices=["access", "refresh"])
    expires_at = serializers.DateTimeField()
