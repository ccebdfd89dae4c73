"""Reads of browser sessions."""

from django.db.models import QuerySet
from django.utils import timezone

from browser_sessions.models import BrowserSession


def browser_sessions_of_user(*, user, live_only: bool = False) -> QuerySet[BrowserSession]:
    """Return the stored browser sessions of `user` (only unexpired ones with `live_only`)."""
    sessions = BrowserSession.objects.filter(user_id=user.pk)
    return sessions.filter(expire_date__gt=timezone.now()) if live_only else sessions
