"""Tests of the captcha backends: ALTCHA against the altcha client, siteverify against a local server."""

import base64
import json
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from altcha import Challenge, Payload, create_challenge, solve_challenge
from django.core.exceptions import ImproperlyConfigured
from rest_framework import status

from apiproject.exceptions import ServiceUnavailable
from signup.captcha.altcha_backend import MAX_PAYLOAD_CHARS, AltchaBackend, altcha_hmac_key
from signup.captcha.base import CaptchaInvalid, get_captcha_backend
from signup.captcha.siteverify import HCaptchaBackend, TurnstileBackend
from tests.signup.helpers import SiteverifyServer, siteverify_server

HMAC_KEY = "test-altcha-hmac-key"
TTL = 300


def closed_port() -> int:
    """Return a local port that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def solve(challenge: dict) -> str:
    """Do what a client does: read the JSON challenge, solve it, encode the payload."""
    received = Challenge.from_dict(json.loads(json.dumps(challenge)))
    solution = solve_challenge(received)
    assert solution is not None
    return Payload(received, solution).to_base64()


def tamper(payload: str, change: Callable[[dict], object]) -> str:
    data = json.loads(base64.b64decode(payload))
    change(data)
    return b64(json.dumps(data))


# --- ALTCHA ----------------------------------------------------------------------------------


@pytest.fixture
def altcha(settings) -> AltchaBackend:
    settings.SIGNUP_CAPTCHA_BACKEND = "altcha"
    settings.SIGNUP_ALTCHA_HMAC_KEY = HMAC_KEY
    settings.SIGNUP_CAPTCHA_TTL_SECONDS = TTL
    # Cheap work keeps the suite fast; the protocol is the same at any cost.
    settings.SIGNUP_ALTCHA_COST = 1
    settings.SIGNUP_ALTCHA_MAX_NUMBER = 20
    return get_captcha_backend()


def test_challenge_is_a_signed_altcha_challenge_expiring_after_ttl(altcha, time_machine):
    time_machine.move_to(1_800_000_000, tick=False)

    challenge = altcha.challenge()

    assert set(challenge) == {"parameters", "signature"}
    assert challenge["parameters"]["algorithm"] == "PBKDF2/SHA-256"
    assert challenge["parameters"]["cost"] == 1
    assert challenge["parameters"]["expiresAt"] == 1_800_000_000 + TTL


def test_challenges_are_unique(altcha):
    assert altcha.challenge()["signature"] != altcha.challenge()["signature"]


def test_challenge_counter_is_drawn_from_the_whole_range(altcha):
    # Uniform over [0, max_number], as the altcha library draws it: no part of the range is a
    # safe place to start searching. (Drawn from the upper half, no counter was ever below 10.)
    counters = [solve_challenge(Challenge.from_dict(altcha.challenge())).counter for _ in range(200)]

    assert all(0 <= counter <= 20 for counter in counters)
    assert min(counters) < 10 <= max(counters)  # (11/21)**200 odds that this fails by chance


def test_solved_challenge_is_accepted(altcha):
    assert altcha.verify(solve(altcha.challenge()), remote_ip="203.0.113.7") is None


def test_reused_solution_returns_captcha_invalid(altcha):
    payload = solve(altcha.challenge())
    altcha.verify(payload, remote_ip=None)

    with pytest.raises(CaptchaInvalid) as excinfo:
        altcha.verify(payload, remote_ip=None)

    assert excinfo.value.status_code == status.HTTP_400_BAD_REQUEST
    assert excinfo.value.get_codes() == "captcha_invalid"


def test_refused_solution_is_not_marked_used(altcha):
    payload = solve(altcha.challenge())
    wrong = tamper(payload, lambda d: d["solution"].update(derivedKey="00" * 32))

    with pytest.raises(CaptchaInvalid):
        altcha.verify(wrong, remote_ip=None)

    altcha.verify(payload, remote_ip=None)


def test_expired_challenge_returns_captcha_invalid(altcha, time_machine):
    time_machine.move_to(1_800_000_000, tick=False)
    payload = solve(altcha.challenge())
    time_machine.move_to(1_800_000_000 + TTL + 1, tick=False)

    with pytest.raises(CaptchaInvalid):
        altcha.verify(payload, remote_ip=None)


def test_challenge_signed_with_another_key_returns_captcha_invalid(altcha):
    foreign = create_challenge(
        "PBKDF2/SHA-256", 1, counter=3, expires_at=int(time.time()) + TTL, hmac_secret="another-key"
    )

    with pytest.raises(CaptchaInvalid):
        altcha.verify(solve(foreign.to_dict()), remote_ip=None)


def test_our_challenge_without_expiry_returns_captcha_invalid(altcha):
    # Signed with our key, so only the explicit expiry check stands between it and forever.
    endless = create_challenge("PBKDF2/SHA-256", 1, counter=3, hmac_secret=HMAC_KEY)

    with pytest.raises(CaptchaInvalid):
        altcha.verify(solve(endless.to_dict()), remote_ip=None)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["challenge"].update(signature="0" * 64),
        lambda d: d["challenge"].pop("signature"),
        lambda d: d["challenge"]["parameters"].update(expiresAt=d["challenge"]["parameters"]["expiresAt"] + 3600),
        lambda d: d["challenge"]["parameters"].pop("expiresAt"),
        lambda d: d["challenge"]["parameters"].update(keyPrefix="00"),
        lambda d: d["challenge"]["parameters"].update(cost=0),
        lambda d: d["solution"].update(derivedKey="00" * 32),
        lambda d: d["solution"].update(counter=d["solution"]["counter"] + 1),
        lambda d: d["solution"].update(counter=str(d["solution"]["counter"])),
    ],
    ids=[
        "other-signature",
        "no-signature",
        "expiry-extended",
        "expiry-removed",
        "easier-prefix",
        "lower-cost",
        "wrong-derived-key",
        "wrong-counter",
        "counter-as-string",
    ],
)
def test_tampered_payload_returns_captcha_invalid(altcha, change):
    payload = tamper(solve(altcha.challenge()), change)

    with pytest.raises(CaptchaInvalid):
        altcha.verify(payload, remote_ip=None)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "",
        "not base64 at all!",
        "é",
        b64("not json"),
        base64.b64encode(b"\xff\xfe{}").decode(),
        b64("[]"),
        b64('"a string"'),
        b64("42"),
        b64("{}"),
        b64('{"challenge": "x", "solution": "y"}'),
        b64('{"challenge": {"parameters": {}}, "solution": {}}'),
        b64('{"challenge": {"parameters": [], "signature": "x"}, "solution": {"counter": 1, "derivedKey": "x"}}'),
        b64('{"challenge": ' + "[" * 1400 + "]" * 1400 + "}"),
    ],
    ids=[
        "none",
        "empty",
        "not-base64",
        "non-ascii",
        "not-json",
        "not-utf8",
        "json-array",
        "json-string",
        "json-number",
        "empty-object",
        "members-not-objects",
        "members-missing-keys",
        "parameters-not-object",
        "nested-too-deep",
    ],
)
def test_malformed_payload_returns_captcha_invalid(altcha, payload):
    with pytest.raises(CaptchaInvalid):
        altcha.verify(payload, remote_ip=None)


def test_oversized_payload_is_refused_before_decoding(altcha):
    # Base64 decoding skips newlines, so this would verify if the length were not checked first.
    payload = solve(altcha.challenge())
    padded = payload + "\n" * (MAX_PAYLOAD_CHARS - len(payload) + 1)

    with pytest.raises(CaptchaInvalid):
        altcha.verify(padded, remote_ip=None)


def test_unreachable_cache_returns_503_and_refuses_solution(altcha, settings):
    payload = solve(altcha.challenge())
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }

    with pytest.raises(ServiceUnavailable) as excinfo:
        altcha.verify(payload, remote_ip=None)

    assert excinfo.value.status_code == status.HTTP_503_SERVICE_UNAVAILABLE


@pytest.mark.redis
def test_reused_solution_returns_captcha_invalid_with_redis(altcha):
    payload = solve(altcha.challenge())
    altcha.verify(payload, remote_ip=None)

    with pytest.raises(CaptchaInvalid):
        altcha.verify(payload, remote_ip=None)


@pytest.mark.redis
def test_concurrent_submissions_of_one_solution_accept_exactly_one(altcha):
    payload = solve(altcha.challenge())

    def submit(_: int) -> bool:
        try:
            get_captcha_backend().verify(payload, remote_ip=None)
        except CaptchaInvalid:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(submit, range(16)))

    assert outcomes.count(True) == 1


def test_hmac_key_in_debug_without_setting_is_derived_from_secret_key(settings):
    settings.DEBUG = True
    settings.SIGNUP_ALTCHA_HMAC_KEY = ""
    derived = altcha_hmac_key()
    settings.SECRET_KEY = "another-secret-key"

    assert derived != altcha_hmac_key()
    assert len(derived) == 64


def test_hmac_key_in_production_without_setting_is_improperly_configured(settings):
    settings.DEBUG = False
    settings.SIGNUP_ALTCHA_HMAC_KEY = ""

    with pytest.raises(ImproperlyConfigured):
        altcha_hmac_key()


# --- Choosing a backend ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("altcha", AltchaBackend),
        ("turnstile", TurnstileBackend),
        ("hcaptcha", HCaptchaBackend),
        ("signup.captcha.siteverify.TurnstileBackend", TurnstileBackend),
    ],
    ids=["altcha", "turnstile", "hcaptcha", "dotted-path"],
)
def test_backend_setting_selects_backend(settings, name, expected):
    settings.SIGNUP_CAPTCHA_BACKEND = name
    settings.SIGNUP_ALTCHA_HMAC_KEY = HMAC_KEY
    settings.SIGNUP_CAPTCHA_SECRET = "test-secret"

    assert type(get_captcha_backend()) is expected


def test_backend_variable_unset_selects_altcha(settings):
    # tests/environment.py leaves SIGNUP_CAPTCHA_BACKEND unset: this is settings.py's default.
    settings.SIGNUP_ALTCHA_HMAC_KEY = HMAC_KEY

    assert settings.SIGNUP_CAPTCHA_BACKEND == "altcha"
    assert type(get_captcha_backend()) is AltchaBackend


# --- Turnstile and hCaptcha against a local siteverify server --------------------------------


@pytest.fixture
def siteverify() -> Iterator[SiteverifyServer]:
    with siteverify_server() as server:
        yield server


@pytest.fixture(params=["turnstile", "hcaptcha"])
def provider(request, settings, siteverify, monkeypatch) -> str:
    # A proxy set in the environment must not carry requests meant for this local server.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    settings.SIGNUP_CAPTCHA_BACKEND = request.param
    settings.SIGNUP_CAPTCHA_SECRET = "test-secret"
    settings.SIGNUP_CAPTCHA_SITE_KEY = "test-site-key"
    settings.SIGNUP_CAPTCHA_VERIFY_URL = siteverify.url
    settings.SIGNUP_CAPTCHA_TIMEOUT_SECONDS = 0.5
    settings.SIGNUP_CAPTCHA_EXPECTED_HOSTNAME = ""
    settings.SIGNUP_CAPTCHA_EXPECTED_ACTION = ""
    return request.param


def test_siteverify_challenge_names_provider_and_site_key(provider):
    assert get_captcha_backend().challenge() == {"provider": provider, "site_key": "test-site-key"}


def test_siteverify_success_is_accepted(provider, siteverify):
    assert get_captcha_backend().verify("token-1", remote_ip="203.0.113.7") is None


def test_siteverify_receives_secret_token_and_ip(provider, siteverify):
    get_captcha_backend().verify("token-1", remote_ip="203.0.113.7")

    sent = siteverify.forms[0]
    assert (sent["secret"], sent["response"], sent["remoteip"]) == ("test-secret", "token-1", "203.0.113.7")


@pytest.mark.parametrize("provider", ["hcaptcha"], indirect=True)
def test_hcaptcha_siteverify_receives_site_key(provider, siteverify):
    get_captcha_backend().verify("token-1", remote_ip=None)

    assert siteverify.forms[0]["sitekey"] == "test-site-key"


@pytest.mark.parametrize(
    "verdict",
    [
        {"success": False, "error-codes": ["invalid-input-response"]},
        {"success": False, "error-codes": ["timeout-or-duplicate"]},
        {"success": "true"},
        {"hostname": "signup.example"},
    ],
    ids=["refused", "duplicate", "success-as-string", "success-missing"],
)
def test_siteverify_without_success_true_returns_captcha_invalid(provider, siteverify, verdict):
    siteverify.verdict = verdict

    with pytest.raises(CaptchaInvalid):
        get_captcha_backend().verify("token-1", remote_ip=None)


def test_siteverify_expected_hostname_is_accepted(provider, siteverify, settings):
    settings.SIGNUP_CAPTCHA_EXPECTED_HOSTNAME = "signup.example"

    assert get_captcha_backend().verify("token-1", remote_ip=None) is None


def test_siteverify_wrong_hostname_returns_captcha_invalid(provider, siteverify, settings):
    settings.SIGNUP_CAPTCHA_EXPECTED_HOSTNAME = "signup.example"
    siteverify.verdict = {"success": True, "hostname": "evil.example", "action": "signup"}

    with pytest.raises(CaptchaInvalid):
        get_captcha_backend().verify("token-1", remote_ip=None)


def test_siteverify_token_is_accepted_once_even_when_the_provider_says_yes_twice(provider, siteverify):
    backend = get_captcha_backend()
    backend.verify("token-1", remote_ip=None)

    with pytest.raises(CaptchaInvalid):
        backend.verify("token-1", remote_ip=None)
    assert len(siteverify.forms) == 2  # asked again, and the local provider said yes again
    assert backend.verify("token-2", remote_ip=None) is None  # another token is another answer


def test_siteverify_token_refused_by_provider_is_not_marked_used(provider, siteverify):
    siteverify.verdict = {"success": False, "error-codes": ["internal-error"]}
    with pytest.raises(CaptchaInvalid):
        get_captcha_backend().verify("token-1", remote_ip=None)

    siteverify.verdict = {"success": True}
    assert get_captcha_backend().verify("token-1", remote_ip=None) is None


def test_siteverify_with_unreachable_cache_returns_503(provider, siteverify, cache_down):
    cache_down()
    with pytest.raises(ServiceUnavailable) as excinfo:
        get_captcha_backend().verify("token-1", remote_ip=None)

    assert excinfo.value.get_codes() == "captcha_store_unavailable"


@pytest.mark.redis
def test_siteverify_concurrent_submissions_of_one_token_accept_exactly_one(provider, siteverify):
    def submit(_: int) -> str:
        try:
            get_captcha_backend().verify("token-1", remote_ip=None)
        except CaptchaInvalid:
            return "refused"
        return "accepted"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(submit, range(8)))

    assert outcomes == ["accepted"] + ["refused"] * 7


@pytest.mark.parametrize("provider", ["turnstile"], indirect=True)
def test_turnstile_wrong_action_returns_captcha_invalid(provider, siteverify, settings):
    settings.SIGNUP_CAPTCHA_EXPECTED_ACTION = "signup"
    siteverify.verdict = {"success": True, "hostname": "signup.example", "action": "login"}

    with pytest.raises(CaptchaInvalid):
        get_captcha_backend().verify("token-1", remote_ip=None)


@pytest.mark.parametrize(
    ("status_code", "body"),
    [
        (500, b'{"success": true}'),
        (307, b'{"success": true}'),
        (200, b"<html>not json</html>"),
        (200, b"[true]"),
        (200, b""),
    ],
    ids=["http-500", "redirect", "not-json", "not-an-object", "empty"],
)
def test_siteverify_broken_reply_returns_503(provider, siteverify, status_code, body):
    siteverify.status, siteverify.body = status_code, body
    siteverify.headers["Location"] = siteverify.url.replace("/siteverify", "/elsewhere")

    with pytest.raises(ServiceUnavailable) as excinfo:
        get_captcha_backend().verify("token-1", remote_ip=None)

    assert excinfo.value.status_code == status.HTTP_503_SERVICE_UNAVAILABLE


def test_siteverify_slower_than_timeout_fails_closed_quickly(provider, siteverify):
    siteverify.delay = 10
    started = time.monotonic()

    with pytest.raises(ServiceUnavailable):
        get_captcha_backend().verify("token-1", remote_ip=None)

    assert time.monotonic() - started < 2


def test_siteverify_unreachable_returns_503(provider, settings):
    settings.SIGNUP_CAPTCHA_VERIFY_URL = f"http://127.0.0.1:{closed_port()}/siteverify"

    with pytest.raises(ServiceUnavailable):
        get_captcha_backend().verify("token-1", remote_ip=None)


@pytest.mark.parametrize("token", [None, ""], ids=["none", "empty"])
def test_siteverify_missing_token_returns_captcha_invalid_without_calling_provider(provider, siteverify, token):
    with pytest.raises(CaptchaInvalid):
        get_captcha_backend().verify(token, remote_ip=None)

    assert siteverify.forms == []


def test_siteverify_oversized_token_returns_captcha_invalid_without_calling_provider(provider, siteverify):
    token = "x" * (get_captcha_backend().max_token_chars + 1)

    with pytest.raises(CaptchaInvalid):
        get_captcha_backend().verify(token, remote_ip=None)

    assert siteverify.forms == []


def test_siteverify_without_secret_is_improperly_configured(provider, settings):
    settings.SIGNUP_CAPTCHA_SECRET = ""

    with pytest.raises(ImproperlyConfigured):
        get_captcha_backend()
