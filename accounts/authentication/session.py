"""Django's session cookie, for the browsable API (the first-party web app), with CSRF."""

from django.conf import settings
from rest_framework import authentication
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, named for `whoami` and exempt from app identity."""

    scheme_name = "session"

    def authenticate(self, request: Request):
        # Without a session cookie there is no session to load: skip the session store and the
        # user lookup that DRF's class would trigger on every API call made with other schemes.
        if settings.SESSION_COOKIE_NAME not in request._request.COOKIES:
            return None
        return super().authenticate(request)
