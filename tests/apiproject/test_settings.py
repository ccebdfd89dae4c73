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
    # The throwaway key files that tests/environment.py wrote for this run.
    "JWT_PRIVATE_KEY_FILE": os.environ["JWT_PRIVATE_KEY_FILE"],
    "OIDC_RSA_PRIVATE_KEY_FILE": os.environ["OIDC_RSA_PRIVATE_KEY_FILE"],
    "API_SINGLE_PROCESS": "1",
}
CONFIGURATION = ("DJANGO_", "API_", "SIGNUP_", "JWT_", "OIDC_", "OAUTH2_", "REDIS_URL")


def _clean_environment(**env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(CONFIGURATION)}
    return {**clean, **env}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_clean_environment(**env), capture_output=True, text=True
    )


def _without(*names: str) -> dict[str, str]:
    return {k: v for k, v in PRODUCTION.items() if k not in names}


def test_every_missing_variable_and_key_file_is_named_in_one_message(tmp_path):
    env = _without("DJANGO_SECRET_KEY", "API_SECRET_ENCRYPTION_KEYS", "SIGNUP_ALTCHA_HMAC_KEY", "API_SINGLE_PROCESS")
    env["JWT_PRIVATE_KEY_FILE"] = str(tmp_path / "absent.pem")
    del env["OIDC_RSA_PRIVATE_KEY_FILE"]
    result = _manage("check", **env)
    assert result.returncode != 0
    message = [line for line in result.stderr.splitlines() if "DJANGO_DEBUG=0 needs" in line]
    assert len(message) == 1, result.stderr
    for name in (
        "DJANGO_SECRET_KEY is not set",
        "API_SECRET_ENCRYPTION_KEYS is not set",
        "SIGNUP_ALTCHA_HMAC_KEY is not set",
        "REDIS_URL is not set",
        f"JWT_PRIVATE_KEY_FILE={tmp_path / 'absent.pem'} is not a readable file",
        "OIDC_RSA_PRIVATE_KEY_FILE is not set",
    ):
        assert name in message[0]


def test_missing_jwt_key_file_refuses_to_start_instead_of_failing_requests(tmp_path):
    result = _manage("check", **{**PRODUCTION, "JWT_PRIVATE_KEY_FILE": str(tmp_path / "absent.pem")})
    assert result.returncode != 0
    assert "JWT_PRIVATE_KEY_FILE" in result.stderr


def test_production_without_redis_url_refuses_to_start():
    result = _manage("check", **_without("API_SINGLE_PROCESS"))
    assert result.returncode != 0
    assert "REDIS_URL is not set" in result.stderr
    assert "API_SINGLE_PROCESS=1" in result.stderr


def test_single_process_flag_allows_production_without_redis():
    result = _manage("check", **PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_a_resource_server_needs_no_oidc_signing_key():
    env = {**_without("OIDC_RSA_PRIVATE_KEY_FILE"), "OAUTH2_RESOURCE_SERVER_MODE": "jwks"}
    env |= {"OAUTH2_ISSUER": "https://auth.example.com/o", "OAUTH2_JWKS_URL": "https://auth.example.com/o/jwks"}
    result = _manage("check", **env)
    assert result.returncode == 0, result.stderr


def test_gunicorn_refuses_to_start_with_a_missing_key_file(tmp_path):
    env = _clean_environment(**{**PRODUCTION, "OIDC_RSA_PRIVATE_KEY_FILE": str(tmp_path / "absent.pem")})
    command = [sys.executable, "-m", "gunicorn", "apiproject.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "OIDC_RSA_PRIVATE_KEY_FILE" in result.stderr


def test_check_deploy_reports_nothing_with_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_secret_key_refuses_to_start_outside_debug():
    env = _without("DJANGO_SECRET_KEY")
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_missing_encryption_keys_refuse_to_start_outside_debug():
    env = _without("API_SECRET_ENCRYPTION_KEYS")
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "API_SECRET_ENCRYPTION_KEYS" in result.stderr


def test_missing_altcha_hmac_key_refuses_to_start_outside_debug():
    env = _without("SIGNUP_ALTCHA_HMAC_KEY")
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
