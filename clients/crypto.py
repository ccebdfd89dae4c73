"""Pure cryptographic helpers of app credentials: ids, secrets, key digests and secret encryption at rest."""

import hashlib
import secrets

from cryptography.fernet import Fernet, MultiFernet


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


def key_id_digest(key_id: str) -> str:
    """Return the SHA-256 hex digest under which a key id is stored and looked up.

    Unsalted SHA-256 is right here and wrong for passwords: a key id carries 192 random bits,
    so there is no dictionary to precompute and no need for a slow hash; a fast digest keeps
    the lookup a single indexed equality match.
    """
    return hashlib.sha256(key_id.encode()).hexdigest()


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
