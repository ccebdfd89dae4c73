"""Browsable-API session: GET /api/v1/whoami with Django's session cookie (no app key)."""

from benchmarks.harness import BenchRequest


def build(ctx):
    from django.conf import settings
    from django.test import Client

    browser = Client()
    browser.force_login(ctx.user)
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    request = BenchRequest(
        "GET",
        "/api/v1/whoami",
        headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "Accept": "application/json"},
    )
    return lambda: request
