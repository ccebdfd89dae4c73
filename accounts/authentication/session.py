"""Django's session cookie, for the browsable API (the first-party web app), with CSRF."""

from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, named for `whoami` and exempt from app identity."""

    scheme_name = "session"
