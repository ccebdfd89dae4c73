"""The user and the user's credentials: User, login sessions (Token) and JWT refresh-token records."""

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from accounts.signals import users_updated

SESSION_AUTH_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


class UserQuerySet(models.QuerySet):
    """Querysets of users that announce the writes that send no post_save (accounts.user_cache)."""

    def update(self, **kwargs) -> int:
        """Update the rows as Django does, and say so in the same transaction."""
        with transaction.atomic(using=self.db):
            updated = super().update(**kwargs)
            users_updated.send(sender=self.model)
        return updated

    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, update_conflicts=False, **kwargs) -> list:
        """Insert as Django does; an upsert (`update_conflicts`) rewrites existing users, so say so."""
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, batch_size, ignore_conflicts, update_conflicts, **kwargs)
            if update_conflicts:
                users_updated.send(sender=self.model)
        return created


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    """Django's UserManager, whose querysets announce their update()s (accounts.user_cache)."""


class User(AbstractUser):
    """A person who signs in."""

    objects = UserManager()

    # Set by accounts.services.credentials.user_credentials_revoke (logout-all, password change,
    # deactivation). It enters the browser session's auth hash, so every Django session created
    # before it stops verifying: django.contrib.auth.get_user flushes it on its next request.
    credentials_revoked_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Every credential issued before this moment has ended."
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # Django's base manager (related lookups, save's internals) is otherwise a plain Manager,
        # whose update() would announce nothing.
        base_manager_name = "objects"
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

    def save(self, *args, **kwargs) -> None:
        """Save in one transaction with the signal receivers that end credentials.

        A password change or a deactivation ends every credential in post_save
        (accounts/receivers.py). If that fails, the new password or state must not stay written
        with the old credentials still working: whatever path saved (admin, `changepassword`,
        `set_password()` + `save()` in a script), the save and the revocation stand or fall together.
        """
        with transaction.atomic():
            super().save(*args, **kwargs)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=fallback_secret)

    def _session_auth_hash(self, *, secret: str | None) -> str:
        value = self.password
        if self.credentials_revoked_at is not None:  # None: Django's hash, so no session ends on deploy
            value = f"{value}\x00{self.credentials_revoked_at.isoformat()}"
        return salted_hmac(SESSION_AUTH_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()


def _live(now: datetime, idle_timeout: timedelta) -> models.Q:
    # The rule of LoginSession.is_live, for the database.
    return models.Q(revoked_at__isnull=True, expires_at__gt=now, last_used_at__gt=now - idle_timeout)


class LoginSessionQuerySet(models.QuerySet):
    def live(self, *, now: datetime, idle_timeout: timedelta) -> "LoginSessionQuerySet":
        """The sessions that may still authenticate: not revoked, expired or idle."""
        return self.filter(_live(now, idle_timeout))

    def ended(self, *, now: datetime, idle_timeout: timedelta) -> "LoginSessionQuerySet":
        """The sessions that can never authenticate again: revoked, expired or idle."""
        return self.exclude(_live(now, idle_timeout))


class LoginSession(models.Model):
    """A signed-in user's session, used with `Authorization: Token <token>`.

    The token itself is never stored: only its SHA-256 digest, which is useless to call the API
    with. The public `id` is a random UUID, so session ids reveal nothing about how many
    logins the server has seen.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)  # unique: indexed
    client_id = models.CharField(max_length=64, help_text="The app the user signed in through.")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="Absolute expiry: no use extends it.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = LoginSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} via {self.client_id} at {self.created_at:%Y-%m-%d %H:%M}"

    def is_live(self, *, now: datetime, idle_timeout: timedelta) -> bool:
        """Return whether the session may authenticate at `now`: not revoked, expired or idle."""
        return self.revoked_at is None and now < self.expires_at and now < self.last_used_at + idle_timeout


class RefreshTokenRecord(models.Model):
    """One issued refresh token: its id, its login's family and its digest, never the token.

    simplejwt's OutstandingToken stores the token string itself, so a copy of the database
    would be a pile of live credentials; here the signed token exists only at the client.
    A token is live while `used_at` and `revoked_at` are empty and `expires_at` is ahead.
    """

    jti = models.CharField(max_length=64, unique=True, editable=False)  # the token's `jti` claim
    family_id = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens")
    client_id = models.CharField(max_length=64, help_text="The app that obtained the login.")
    # SHA-256 of the whole signed token: the row answers for those exact bytes only.
    token_digest = models.CharField(max_length=64, editable=False)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)  # the purge scans this
    used_at = models.DateTimeField(null=True, blank=True, help_text="Exchanged for a new pair (rotation).")
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaces", editable=False
    )

    class Meta:
        verbose_name = "JWT refresh token"
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.jti[:8]}… of {self.user} via {self.client_id}"
