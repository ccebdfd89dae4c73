"""The OAuth2 authorization server: django-oauth-toolkit set up as RFC 9700 asks (docs/oauth2.md)."""
