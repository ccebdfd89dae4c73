"""Serializers of the signup app: bounded, normalised input, and the shapes of the answers."""

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import User
from accounts.services.login import PASSWORD_MAX_LENGTH

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length
EMAIL_MAX_LENGTH = 254  # RFC 5321 §4.5.3.1.3: the longest path a mail server must accept


class UsernameField(serializers.CharField):
    """A username as the user model stores it: NFKC-normalised, then checked for length and characters."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=USERNAME_MAX_LENGTH, validators=[UnicodeUsernameValidator()], **kwargs)

    def to_internal_value(self, data: object) -> str:
        # Normalised before the validators run: NFKC can lengthen a string (one ligature
        # becomes 18 letters), and the database column holds 150 characters, not 150 inputs.
        return User.normalize_username(super().to_internal_value(data))


class EmailAddressField(serializers.EmailField):
    """An e-mail address of at most 254 characters, its domain lowercased as Django stores it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=EMAIL_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data: object) -> str:
        return User.objects.normalize_email(super().to_internal_value(data))


class SignupSessionRequestSerializer(serializers.Serializer):
    # Not trimmed: the captcha backend judges the answer exactly as the client sent it. Optional
    # for an app whose attestation stands in for it (signup.services.signup_session_start).
    captcha = serializers.CharField(trim_whitespace=False, required=False)


class SignupSessionSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_in = serializers.IntegerField()


class FindPersonSerializer(serializers.Serializer):
    email = EmailAddressField(required=False)
    username = UsernameField(required=False)

    def validate(self, attrs: dict) -> dict:
        if len(attrs) != 1:
            raise serializers.ValidationError("Send exactly one of email and username.", code="one_of")
        return attrs


class PersonExistsSerializer(serializers.Serializer):
    exists = serializers.BooleanField()


class PersonCreateSerializer(serializers.Serializer):
    username = UsernameField()
    email = EmailAddressField()
    password = serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, write_only=True)

    def validate(self, attrs: dict) -> dict:
        # AUTH_PASSWORD_VALIDATORS against the would-be user, so "alice2024" is refused for alice.
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}, code="password_invalid") from exc
        return attrs


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]
