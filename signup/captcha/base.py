"""The interface every captcha backend implements, and the error it raises on a bad answer."""

import abc

from rest_framework import exceptions, status


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
