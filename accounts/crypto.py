"""Pure cryptographic helpers: key generation, digests and encryption of secrets at rest."""

import hashlib
import secrets


def generate_token() -> str:
    """Return a new bearer token (login session, single-use token): 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a random bearer token is stored (see key_id_digest)."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- Signed and encrypted requests (RFC 9421 signatures, JWE payloads) --------------------------
