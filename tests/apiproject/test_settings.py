"""Production settings: `check --deploy` is clean, and required secrets are really required."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a" * 20 + "B" * 20 + "c" * 20 + "!@#$%^&*()",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "API_SECRET_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "SIGNUP_ALTCHA_HMAC_KEY": "c" * 43,
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "API_", "SIGNUP_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_check_deploy_reports_nothing_with_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_secret_key_refuses_to_start_outside_debug():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_missing_encryption_keys_refuse_to_start_outside_debug():
    env = {k: v for k, v in PRODUCTION.items() if k != "API_SECRET_ENCRYPTION_KEYS"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "API_SECRET_ENCRYPTION_KEYS" in result.stderr


def test_missing_altcha_hmac_key_refuses_to_start_outside_debug():
    env = {k: v for k, v in PRODUCTION.items() if k != "SIGNUP_ALTCHA_HMAC_KEY"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SIGNUP_ALTCHA_HMAC_KEY" in result.stderr


def test_anonymous_token_lifetime_over_ten_minutes_refuses_to_start():
    result = _manage("check", **PRODUCTION, SIGNUP_ANONYMOUS_TOKEN_SECONDS="601")
    assert result.returncode != 0
    assert "SIGNUP_ANONYMOUS_TOKEN_SECONDS" in result.stderr


def _default_cache_backend(**env: str) -> str:
    script = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = _manage("shell", "--no-imports", "-c", script, **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_redis_the_counters_live_in_the_in_process_store(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert _default_cache_backend() == "apiproject.cache.LocalCache"


def test_redis_url_switches_the_shared_cache_to_redis():
    assert _default_cache_backend(REDIS_URL="redis://127.0.0.1:1/0") == "django_redis.cache.RedisCache"
