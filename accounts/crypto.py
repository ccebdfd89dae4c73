"""Pure cryptographic helpers: key generation, digests and encryption of secrets at rest."""

import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.utils.crypto import salted_hmac

__all__ = [
    "InvalidToken",
    "audit_username_digest",
    "decrypt_secret",
    "derive_payload_key",
    "encrypt_secret",
    "generate_client_id",
    "generate_key_id",
    "generate_secret",
    "generate_token",
    "key_id_digest",
    "reencrypt_secret",
    "token_digest",
]


def _command_line_safe_token(nbytes: int) -> str:
    # Ids are typed as command arguments (rotate_api_key <client_id>, revoke_api_key <key_id>),
    # where a leading "-" reads as an option. One draw in 64 starts with it; draw again.
    while (token := secrets.token_urlsafe(nbytes)).startswith("-"):
        pass
    return token


def generate_client_id() -> str:
    """Return a public, URL-safe app identifier (96 random bits; it is a name, not a credential)."""
    return _command_line_safe_token(12)


def generate_key_id() -> str:
    """Return a new key id: 192 random bits, URL-safe, from the OS CSPRNG (never starting with "-")."""
    return _command_line_safe_token(24)


def generate_secret() -> str:
    """Return a new shared secret: 256 random bits, URL-safe, from the OS CSPRNG."""
    return secrets.token_urlsafe(32)


def generate_token() -> str:
    """Return a new bearer token (login session, single-use token): 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def key_id_digest(key_id: str) -> str:
    """Return the SHA-256 hex digest under which a key id is stored and looked up.

    Unsalted SHA-256 is right here and wrong for passwords: a key id carries 192 random bits,
    so there is no dictionary to precompute and no need for a slow hash; a fast digest keeps
    the lookup a single indexed equality match.
    """
    return hashlib.sha256(key_id.encode()).hexdigest()


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a random bearer token is stored (see key_id_digest)."""
    return hashlib.sha256(token.encode()).hexdigest()


def audit_username_digest(username: str, *, secret: str) -> str:
    """Return a keyed digest (HMAC-SHA256, 64 bits shown) of a username no account has.

    People type their password into the username field, and an unsalted SHA-256 of it is no
    protection: a list of likely passwords, hashed once, finds it. The HMAC key is derived from
    SECRET_KEY (Django's `salted_hmac`, with a salt of its own), so a copy of the log or the
    database without the server's secret cannot be searched that way, while the same typed
    name still gives the same digest, so an operator sees one unknown name tried many times.
    """
    return salted_hmac("apiproject.audit.unknown-username", username, secret=secret, algorithm="sha256").hexdigest()[
        :16
    ]


def _fernet(keys: list[str]) -> MultiFernet:
    if not keys:
        raise ValueError("at least one key-encryption key is required")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt_secret(secret: str, *, keys: list[str]) -> str:
    """Encrypt a shared secret for storage under the newest key-encryption key.

    The server must be able to recover the secret to verify HMAC signatures, so unlike key ids
    and tokens it cannot be stored as a digest. Fernet is AES-128-CBC with HMAC-SHA256
    (authenticated encryption), and MultiFernet decrypts with any listed key, so the
    key-encryption key can rotate: newest first, older ones kept until re-encryption is done.
    """
    return _fernet(keys).encrypt(secret.encode()).decode()


def decrypt_secret(ciphertext: str, *, keys: list[str]) -> str:
    """Decrypt a stored secret with any of the key-encryption keys; raises InvalidToken if none fits."""
    return _fernet(keys).decrypt(ciphertext.encode()).decode()


def reencrypt_secret(ciphertext: str, *, keys: list[str]) -> str:
    """Re-encrypt a stored secret under the newest key-encryption key (MultiFernet.rotate)."""
    return _fernet(keys).rotate(ciphertext.encode()).decode()


# --- Signed and encrypted requests (RFC 9421 signatures, JWE payloads) --------------------------

PAYLOAD_KEY_INFO = b"apiproject/jwe/v1"


def derive_payload_key(secret: str, key_id: str) -> bytes:
    """Return the 256-bit JWE content key of one API key: HKDF-SHA256(secret, salt=key_id).

    HKDF (RFC 5869) is right because the secret is already 256 bits of CSPRNG output: no
    stretching is needed, only a key separated from the HMAC signing key. Using the secret
    directly for both HMAC and AES would put one key under two algorithms; the `info` label
    binds the output to this one purpose and version, and the key id as salt gives every key
    its own derivation.
    """
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=key_id.encode(), info=PAYLOAD_KEY_INFO)
    return hkdf.derive(secret.encode())
