"""ALTCHA: a self-hosted proof-of-work captcha whose challenges we sign and accept once."""

import secrets
import time

from altcha import Payload, create_challenge, verify_solution
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

from signup.captcha.base import CaptchaBackend, CaptchaInvalid, captcha_answer_use

# Every browser's WebCrypto has PBKDF2, so the widget solves it at native speed.
ALGORITHM = "PBKDF2/SHA-256"
# A genuine payload is about 650 characters; anything far larger is refused before decoding.
MAX_PAYLOAD_CHARS = 4096


def altcha_hmac_key() -> str:
    """Return the challenge-signing key: SIGNUP_ALTCHA_HMAC_KEY, or in debug one derived from SECRET_KEY."""
    key = settings.SIGNUP_ALTCHA_HMAC_KEY
    if key:
        return key
    if settings.DEBUG:
        # HMAC of SECRET_KEY under a fixed label: stable across restarts, unrelated to its other uses.
        return salted_hmac("signup.captcha.altcha", "hmac-key", algorithm="sha256").hexdigest()
    raise ImproperlyConfigured("SIGNUP_ALTCHA_HMAC_KEY is required when DJANGO_DEBUG=0.")


def parse_payload(response: str) -> Payload:
    """Decode a client's base64 `Payload`, refusing oversized and malformed input as `CaptchaInvalid`."""
    # Not a str: the view handed over a missing or mistyped field.
    if not isinstance(response, str) or not 0 < len(response) <= MAX_PAYLOAD_CHARS:
        raise CaptchaInvalid()
    try:
        return Payload.from_base64(response)
    # Not base64, not UTF-8, not JSON, not an object, a missing key, or nested past the stack.
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise CaptchaInvalid() from exc


class AltchaBackend(CaptchaBackend):
    """ALTCHA proof of work (PoW v2): costs each client CPU time, costs us one key derivation."""

    def __init__(self) -> None:
        self.hmac_key = altcha_hmac_key()
        self.ttl = settings.SIGNUP_CAPTCHA_TTL_SECONDS
        self.cost = settings.SIGNUP_ALTCHA_COST
        self.max_number = settings.SIGNUP_ALTCHA_MAX_NUMBER

    def challenge(self) -> dict:
        # Deterministic mode: we choose the counter the client has to find, uniformly from the
        # whole range [0, max_number], as the altcha library itself draws it. Any order of
        # search then costs max_number / 2 derivations on average. A counter from the upper half
        # only (as here before) looked dearer but told solvers where to start: one searching
        # down from the top, or up from the middle, needed a quarter of max_number on average.
        challenge = create_challenge(
            ALGORITHM,
            self.cost,
            counter=secrets.randbelow(self.max_number + 1),
            expires_at=int(time.time()) + self.ttl,
            hmac_secret=self.hmac_key,
        )
        return challenge.to_dict()

    def verify(self, response: str, *, remote_ip: str | None) -> None:
        payload = parse_payload(response)
        # Checks expiresAt, then the HMAC over every parameter (constant time), then re-derives
        # the key from the counter: a tampered cost, expiry or prefix breaks the signature.
        if not verify_solution(payload, self.hmac_key).verified:
            raise CaptchaInvalid()
        # Every challenge we sign carries an expiry; one without would be valid forever.
        if type(payload.challenge.parameters.expires_at) is not int:
            raise CaptchaInvalid()
        # The verified signature names this challenge alone (random nonce and salt); the mark
        # lives as long as the challenge could still be accepted.
        remaining = payload.challenge.parameters.expires_at - int(time.time()) + 1
        captcha_answer_use(payload.challenge.signature, ttl=remaining)
