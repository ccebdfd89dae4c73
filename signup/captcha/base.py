"""The interface every captcha backend implements, and the error it raises on a bad answer."""

import abc

from django.conf import settings
from django.core.cache import caches
from django.utils.module_loading import import_string
from rest_framework import exceptions, status

from apiproject.counters import CACHE_ERRORS
from apiproject.exceptions import ServiceUnavailable


class CaptchaInvalid(exceptions.APIException):
    # One message for every failure: a bot learns nothing from which check refused it.
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The captcha answer is missing, invalid, expired or already used."
    default_code = "captcha_invalid"


class CaptchaBackend(abc.ABC):
    """Issues a challenge to a client and verifies its answer, failing closed."""

    @abc.abstractmethod
    def challenge(self) -> dict:
        """Return what GET /api/v1/signup/captcha sends the client to solve or to render."""

    @abc.abstractmethod
    def verify(self, response: str, *, remote_ip: str | None) -> None:
        """Return if `response` answers a fresh, unused challenge; raise `CaptchaInvalid` if not.

        A backend that cannot decide (its cache or provider is down) raises
        `ServiceUnavailable` instead: it never lets an answer through unchecked.
        """


def captcha_answer_use(mark: str, *, ttl: int) -> None:
    """Accept a verified captcha answer once across every worker; raise `CaptchaInvalid` after that.

    A solved captcha is a bearer proof: replayed, one solution would mint tokens for as long as
    it stays valid. `mark` names the answer (ALTCHA: the challenge's signature; Turnstile and
    hCaptcha: a digest of the token). `add` is one atomic SET NX on the shared cache, so of two
    workers racing with one answer exactly one wins; the mark lives `ttl` seconds, as long as
    the answer could still be accepted. Call it only after every other check has passed, so that
    junk never fills the cache. Without the cache a replay cannot be told from a first use: 503.
    """
    try:
        first_use = caches["default"].add(f"captcha-used:{mark}", 1, timeout=ttl)
    except CACHE_ERRORS as exc:
        raise ServiceUnavailable(
            "The captcha store is unavailable; try again later.", code="captcha_store_unavailable"
        ) from exc
    if not first_use:
        raise CaptchaInvalid()


BACKENDS = {
    "altcha": "signup.captcha.altcha_backend.AltchaBackend",
    "turnstile": "signup.captcha.siteverify.TurnstileBackend",
    "hcaptcha": "signup.captcha.siteverify.HCaptchaBackend",
}


def get_captcha_backend() -> CaptchaBackend:
    """Return the configured backend: "altcha" (default), "turnstile", "hcaptcha" or a dotted path."""
    name = settings.SIGNUP_CAPTCHA_BACKEND
    return import_string(BACKENDS.get(name, name))()
