"""Writes on browser sessions that do more than Django's session store does."""

from accounts.crypto import token_digest
from browser_sessions.selectors import browser_sessions_of_user


def browser_sessions_end(*, user, except_session_key: str | None = None) -> int:
    """End every Django browser session of `user` at once; return how many were ended.

    For logout-all and password changes. `except_session_key` (the raw key of the request's own
    session, `request.session.session_key`) keeps the session that asked, when it should stay.
    """
    sessions = browser_sessions_of_user(user=user)
    if except_session_key:
        sessions = sessions.exclude(session_key=token_digest(except_session_key))
    deleted, _ = sessions.delete()
    return deleted
