"""The environment of a benchmark run: production settings with throwaway keys, set before Django."""

import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def _es256_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# The signing keys DJANGO_DEBUG=0 requires, made fresh for each run unless the caller set them.
KEY_FILES = {
    "JWT_PRIVATE_KEY_FILE": ("jwt-es256.pem", _es256_key),
    "OIDC_RSA_PRIVATE_KEY_FILE": ("oidc-rsa.pem", _rsa_key),
}


def benchmark_environment() -> None:
    """Set every variable a run needs that the caller has not set, before Django reads settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apiproject.settings")
    os.environ["DJANGO_DEBUG"] = "0"  # debug mode records every query and would skew timings
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-" + "k" * 50)
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("DJANGO_STATIC_MANIFEST", "0")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("API_SECRET_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    # Every layer is measured with its throttles counting, but never refusing.
    os.environ.setdefault("API_CLIENT_THROTTLE_RATE", "1000000000/day")
    os.environ.setdefault("SIGNUP_ALTCHA_HMAC_KEY", "benchmark-only-altcha-hmac-key")
    # Without REDIS_URL the run is one process (the in-process cache), and says so.
    if not os.environ.get("REDIS_URL"):
        os.environ.setdefault("API_SINGLE_PROCESS", "1")
    key_dir = Path(tempfile.mkdtemp(prefix="apiproject-bench-keys-"))
    # No client CA: a developer's var/tls/ must not decide what is measured.
    os.environ.setdefault("TRANSPORT_CLIENT_CA_FILE", str(key_dir / "no-client-ca.pem"))
    os.environ.setdefault("TRANSPORT_CLIENT_CA_KEY_FILE", str(key_dir / "no-client-ca-key.pem"))
    for variable, (filename, generate) in KEY_FILES.items():
        if variable not in os.environ:
            pem = generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            (key_dir / filename).write_bytes(pem)
            os.environ[variable] = str(key_dir / filename)
