"""JWE compact serialization with alg "dir" and enc "A256GCM", the whole of it (RFC 7516 §5.1).

The server parses JWE with the jwcrypto library; this client builds it from its definition
with `cryptography`, so the tests exercise two independent implementations against each other.
"""

import base64
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MEDIA_TYPE = "application/jose"
PAYLOAD_KEY_INFO = b"apiproject/jwe/v1"
TAG_BYTES = 16  # AES-GCM appends a 128-bit authentication tag to the ciphertext


class PayloadError(ValueError):
    """A JWE that is malformed, has another header, or does not decrypt with this key."""


def derive_payload_key(secret: str, key_id: str) -> bytes:
    """Return the 256-bit content key of an API key: HKDF-SHA256(secret, salt=key_id, info=v1 label).

    The same derivation as the server's signatures.crypto.derive_payload_key (API.md §3): a key
    separate from the HMAC signing key, bound to this purpose by its `info` label.
    """
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=key_id.encode(), info=PAYLOAD_KEY_INFO).derive(
        secret.encode()
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encrypt(plaintext: bytes, *, key: bytes, key_id: str) -> str:
    """Return BASE64URL(header) || '..' || BASE64URL(iv) || '.' || ciphertext || '.' || tag."""
    header = _b64(json.dumps({"alg": "dir", "enc": "A256GCM", "kid": key_id}).encode())
    iv = os.urandom(12)  # 96 random bits, fresh for every message: never reuse an IV under a key
    sealed = AESGCM(key).encrypt(iv, plaintext, header.encode("ascii"))  # the header is the AAD
    return ".".join([header, "", _b64(iv), _b64(sealed[:-TAG_BYTES]), _b64(sealed[-TAG_BYTES:])])


def decrypt(token: str, *, key: bytes, key_id: str) -> bytes:
    """Return the plaintext of a compact JWE for `key_id`, or raise PayloadError."""
    try:
        header_b64, encrypted_key, iv, ciphertext, tag = token.strip().split(".")
        header = json.loads(_unb64(header_b64))
        if encrypted_key or header != {"alg": "dir", "enc": "A256GCM", "kid": key_id}:
            raise PayloadError("unexpected JWE header")
        return AESGCM(key).decrypt(_unb64(iv), _unb64(ciphertext) + _unb64(tag), header_b64.encode("ascii"))
    except PayloadError:
        raise
    except Exception as exc:  # malformed parts, bad base64 or JSON, or a failed authentication tag
        raise PayloadError("cannot decrypt the JWE") from exc
