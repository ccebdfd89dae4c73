"""Key material from the environment, with generated development keys under var/ in debug."""

import functools
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_DIR = "dev-keys"


def _dev_key_path(name: str) -> Path:
    path = Path(settings.VAR_DIR) / DEV_KEY_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _write_private(path: Path, data: bytes) -> None:
    # Created owner-only before the key is written, so it is never world-readable.
    path.touch(mode=0o600, exist_ok=True)
    path.write_bytes(data)


def secret_encryption_keys() -> list[str]:
    """Return the Fernet key-encryption keys, newest first (API_SECRET_ENCRYPTION_KEYS)."""
    if settings.API_SECRET_ENCRYPTION_KEYS:
        return list(settings.API_SECRET_ENCRYPTION_KEYS)
    if not settings.DEBUG:
        raise ImproperlyConfigured("API_SECRET_ENCRYPTION_KEYS is required when DJANGO_DEBUG=0")
    path = _dev_key_path("secret-encryption.key")
    if not path.exists():
        _write_private(path, Fernet.generate_key())
    return [path.read_text().strip()]


def _load_or_generate(setting: str, filename: str, generate) -> PrivateKeyTypes:
    configured = getattr(settings, setting)
    if configured:
        path = Path(configured)
    elif settings.DEBUG:
        path = _dev_key_path(filename)
        if not path.exists():
            pem = generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            _write_private(path, pem)
    else:
        raise ImproperlyConfigured(f"{setting} is required when DJANGO_DEBUG=0")
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


@functools.cache
def jwt_private_key() -> PrivateKeyTypes:
    """Return the private key that signs access and anonymous tokens (ES256 by default)."""
    return _load_or_generate("JWT_PRIVATE_KEY_FILE", "jwt-es256.pem", lambda: ec.generate_private_key(ec.SECP256R1()))


@functools.cache
def oidc_rsa_private_key() -> PrivateKeyTypes:
    """Return the RSA private key of the OAuth2/OpenID Connect server."""
    return _load_or_generate(
        "OIDC_RSA_PRIVATE_KEY_FILE",
        "oidc-rsa.pem",
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
