"""Django browser sessions stored under a digest of their key, with the user they belong to."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class BrowserSession(AbstractBaseSession):
    """One Django session (admin, browsable API, OAuth2 sign-in), keyed by SHA-256 of its cookie.

    Django's own `Session` keeps the cookie value itself as the primary key, so whoever reads the
    table (a backup, a replica, a read-only SQL injection) can set that value as `sessionid` and be
    signed in as anyone, staff included. Here the primary key is the digest: it finds the row
    for a cookie, and cannot be sent as one.
    """

    session_key = models.CharField("session key digest", max_length=64, primary_key=True)
    # Who is signed in, so that every session of a user can be ended at once (logout-all,
    # password change). No database constraint: the row is written at the end of a request, and
    # a user deleted meanwhile must not turn that write into an IntegrityError (which Django's
    # create() would retry for ever); deleting a user still deletes their sessions (CASCADE).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="browser_sessions",
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "browser session"
        verbose_name_plural = "browser sessions"

    @classmethod
    def get_session_store_class(cls):
        from browser_sessions.backend import SessionStore

        return SessionStore
