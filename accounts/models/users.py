"""The user model: custom from the first migration, as Django advises for new projects."""

from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

SESSION_AUTH_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


class User(AbstractUser):
    """A person who signs in."""

    # Set by accounts.services.credentials.user_credentials_revoke (logout-all, password change,
    # deactivation). It enters the browser session's auth hash, so every Django session created
    # before it stops verifying: django.contrib.auth.get_user flushes it on its next request.
    credentials_revoked_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Every credential issued before this moment has ended."
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # "Ada" and "ada" are one person: the database refuses the second, so two
            # concurrent signups cannot both win (the username column alone is case-sensitive).
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), condition=~models.Q(email=""), name="user_email_ci_unique"),
        ]

    def get_session_auth_hash(self) -> str:
        """Return the HMAC that a browser session must match: the password hash and the revocation mark.

        Django's own covers the password hash only, so a password change ends other sessions but
        logout-all could not. Adding `credentials_revoked_at` ends them without reading the
        session store (whose key format is the store's business), and Django's
        update_session_auth_hash still keeps the current session alive after a password change.
        """
        return self._session_auth_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=fallback_secret)

    def _session_auth_hash(self, *, secret: str | None) -> str:
        value = self.password
        if self.credentials_revoked_at is not None:  # None: Django's hash, so no session ends on deploy
            value = f"{value}\x00{self.credentials_revoked_at.isoformat()}"
        return salted_hmac(SESSION_AUTH_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()
