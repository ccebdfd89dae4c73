"""Key derivation for encrypted payloads: one AES key per API key, from its secret."""

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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
