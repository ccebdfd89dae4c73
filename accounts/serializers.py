"""Serializers of the accounts app."""

from rest_framework import serializers

from accounts.models import LoginSession
from accounts.services.login import PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH

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
