"""Cloudflare Turnstile and hCaptcha: the provider checks the token, we check its verdict."""

import hashlib
import logging

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apiproject.exceptions import ServiceUnavailable
from signup.captcha.base import CaptchaBackend, CaptchaInvalid, captcha_answer_use

logger = logging.getLogger(__name__)


class SiteverifyBackend(CaptchaBackend):
    """Verifies a widget token by POSTing it to the provider's siteverify URL, failing closed."""

    provider: str
    default_verify_url: str
    max_token_chars: int
    # How long the provider accepts a token: our "used" mark must live at least as long.
    token_lifetime_seconds = 300  # Turnstile documents 300 s; the same bound serves hCaptcha

    def __init__(self) -> None:
        self.secret = settings.SIGNUP_CAPTCHA_SECRET
        if not self.secret:
            raise ImproperlyConfigured(f"SIGNUP_CAPTCHA_SECRET is required for the {self.provider} backend.")
        self.site_key = settings.SIGNUP_CAPTCHA_SITE_KEY
        self.verify_url = settings.SIGNUP_CAPTCHA_VERIFY_URL or self.default_verify_url
        self.timeout = settings.SIGNUP_CAPTCHA_TIMEOUT_SECONDS
        self.expected_hostname = settings.SIGNUP_CAPTCHA_EXPECTED_HOSTNAME
        self.expected_action = settings.SIGNUP_CAPTCHA_EXPECTED_ACTION

    def challenge(self) -> dict:
        # Nothing to solve here: the client renders the provider's widget with this site key.
        return {"provider": self.provider, "site_key": self.site_key}

    def verify(self, response: str, *, remote_ip: str | None) -> None:
        # Junk is refused here rather than forwarded: each call costs a round trip to the provider.
        if not isinstance(response, str) or not 0 < len(response) <= self.max_token_chars:
            raise CaptchaInvalid()
        verdict = self._siteverify(self.form(response, remote_ip))
        if verdict.get("success") is not True:
            # The error codes tell an operator about a wrong secret; they hold nothing secret.
            logger.info("%s refused a captcha token: %s", self.provider, verdict.get("error-codes"))
            raise CaptchaInvalid()
        # A token solved on another site that shares our keys, or on another form, is no proof here.
        if self.expected_hostname and verdict.get("hostname") != self.expected_hostname:
            raise CaptchaInvalid()
        if self.expected_action and verdict.get("action") != self.expected_action:
            raise CaptchaInvalid()
        # The provider accepts a token once, but its answer is not ours to rely on alone: a
        # provider that says yes twice (a retry, an outage mode, a test key) must not let one
        # token mint two anonymous tokens here. Digested: the cache key stays short and plain.
        captcha_answer_use(
            f"{self.provider}:{hashlib.sha256(response.encode()).hexdigest()}", ttl=self.token_lifetime_seconds
        )

    def form(self, response: str, remote_ip: str | None) -> dict[str, str]:
        """Return the siteverify request fields."""
        form = {"secret": self.secret, "response": response}
        if remote_ip:
            form["remoteip"] = remote_ip
        return form

    def _siteverify(self, form: dict[str, str]) -> dict:
        try:
            # No redirects: a verdict must come from the URL we configured, not one it points to.
            reply = requests.post(self.verify_url, data=form, timeout=self.timeout, allow_redirects=False)
            if reply.status_code != 200:
                raise ValueError(f"HTTP {reply.status_code}")
            verdict = reply.json()
            if not isinstance(verdict, dict):
                raise ValueError("the verdict is not a JSON object")
        except (requests.RequestException, ValueError) as exc:
            # The provider is down, slow or talking nonsense: no verdict means no entry.
            logger.warning("%s siteverify failed: %s", self.provider, exc)
            raise ServiceUnavailable(
                "The captcha provider is unavailable; try again later.", code="captcha_provider_unavailable"
            ) from exc
        return verdict


class TurnstileBackend(SiteverifyBackend):
    """Cloudflare Turnstile; its verdict also carries the widget's `action`."""

    provider = "turnstile"
    default_verify_url = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    max_token_chars = 2048  # Cloudflare documents tokens of at most 2048 characters.


class HCaptchaBackend(SiteverifyBackend):
    """hCaptcha; its verdict carries no `action`, so leave SIGNUP_CAPTCHA_EXPECTED_ACTION empty."""

    provider = "hcaptcha"
    default_verify_url = "https://api.hcaptcha.com/siteverify"
    max_token_chars = 32_768  # No documented limit; tokens over 4000 characters are seen in the wild.

    def form(self, response: str, remote_ip: str | None) -> dict[str, str]:
        form = super().form(response, remote_ip)
        if self.site_key:
            # hCaptcha then refuses a token that was issued for another of our site keys.
            form["sitekey"] = self.site_key
        return form
