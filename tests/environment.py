"""Pytest plugin loaded before Django: production-like settings with throwaway test keys.

Loaded with `-p tests.environment` (see pyproject.toml) because pytest-django reads the
settings before any conftest.py is imported.
"""

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

TEST_KEY_DIR = Path(tempfile.mkdtemp(prefix="apiproject-test-keys-"))


def _write_key(name: str, key) -> str:
    path = TEST_KEY_DIR / name
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(path)


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apiproject.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Two Fernet keys, newest first, so tests can exercise key-encryption-key rotation.
os.environ.setdefault(
    "API_SECRET_ENCRYPTION_KEYS",
    "4L0R3c1hUn2nqwcKl3Lz2xD5ZQfFz0m1v8C7oYtN9eM=,hMlF0p2f2sQ8J3p1XbV0c7wqJ1t6o6u5n4z9kq2wX0E=",
)
# Signup: a throwaway challenge-signing key, and proof of work cheap enough to solve in tests.
# Without REDIS_URL the tests are one process (SQLite and the in-process cache), and say so.
if not os.environ.get("REDIS_URL"):
    os.environ.setdefault("API_SINGLE_PROCESS", "1")
os.environ.setdefault("SIGNUP_ALTCHA_HMAC_KEY", "test-only-altcha-hmac-key")
os.environ.setdefault("SIGNUP_ALTCHA_COST", "1")
os.environ.setdefault("SIGNUP_ALTCHA_MAX_NUMBER", "20")
# No client CA unless a test makes one: a developer's var/tls/ must not decide what tests see.
os.environ.setdefault("TRANSPORT_CLIENT_CA_FILE", str(TEST_KEY_DIR / "no-client-ca.pem"))
os.environ.setdefault("TRANSPORT_CLIENT_CA_KEY_FILE", str(TEST_KEY_DIR / "no-client-ca-key.pem"))
if "JWT_PRIVATE_KEY_FILE" not in os.environ:
    os.environ["JWT_PRIVATE_KEY_FILE"] = _write_key("jwt-es256.pem", ec.generate_private_key(ec.SECP256R1()))
if "OIDC_RSA_PRIVATE_KEY_FILE" not in os.environ:
    os.environ["OIDC_RSA_PRIVATE_KEY_FILE"] = _write_key(
        "oidc-rsa.pem", rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
