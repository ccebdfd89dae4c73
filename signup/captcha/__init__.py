"""Pluggable captcha backends, chosen by SIGNUP_CAPTCHA_BACKEND each time one is needed."""

from django.conf import settings
from django.utils.module_loading import import_string

from signup.captcha.base import CaptchaBackend, CaptchaInvalid

__all__ = ["CaptchaBackend", "CaptchaInvalid", "get_captcha_backend"]

BACKENDS = {
    "altcha": "signup.captcha.altcha.AltchaBackend",
    "turnstile": "signup.captcha.siteverify.TurnstileBackend",
    "hcaptcha": "signup.captcha.siteverify.HCaptchaBackend",
}


def get_captcha_backend() -> CaptchaBackend:
    """Return the configured backend: "altcha" (default), "turnstile", "hcaptcha" or a dotted path."""
    name = getattr(settings, "SIGNUP_CAPTCHA_BACKEND", "altcha")
    return import_string(BACKENDS.get(name, name))()
