"""Encrypted payloads: JWE compact serialization, alg "dir", enc "A256GCM" (RFC 7516, RFC 7518).

Pure functions, no Django: the key is `crypto.derive_payload_key(secret, key_id)`. The header
is fixed rather than negotiated, so a token cannot talk the server into another algorithm,
into compression ("zip", a decompression bomb) or into extensions it does not know ("crit").
"""

import json
import re

from jwcrypto import jwe, jwk
from jwcrypto.common import JWException, base64url_encode

MEDIA_TYPE = "application/jose"
ALGORITHM = "dir"  # the derived key is the content key: no key wrapping, nothing to negotiate
ENCRYPTION = "A256GCM"
ALLOWED_HEADER = frozenset({"alg", "enc", "kid", "typ", "cty"})

# header..iv.ciphertext.tag: five base64url parts, the encrypted key empty under "dir".
COMPACT_DIRECT = re.compile(r"[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")


class PayloadError(Exception):
    """A JWE that is malformed, uses another header, or does not decrypt with the key."""


def _jwk(key: bytes) -> jwk.JWK:
    return jwk.JWK(kty="oct", k=base64url_encode(key))


def encrypt_payload(plaintext: bytes, *, key: bytes, key_id: str) -> str:
    """Return `plaintext` as a JWE compact serialization for the holder of `key_id`.

    AES-256-GCM with a fresh random 96-bit IV per message (jwcrypto draws it), authenticating
    the protected header as additional data.
    """
    header = {"alg": ALGORITHM, "enc": ENCRYPTION, "kid": key_id}
    token = jwe.JWE(plaintext, protected=json.dumps(header))
    token.add_recipient(_jwk(key))
    return token.serialize(compact=True)


def decrypt_payload(token: str, *, key: bytes, key_id: str) -> bytes:
    """Return the plaintext of a compact JWE sent by the holder of `key_id`, or raise PayloadError."""
    if not COMPACT_DIRECT.fullmatch(token):
        raise PayloadError("The body is not a JWE compact serialization with alg dir.")
    parsed = jwe.JWE(algs=[ALGORITHM, ENCRYPTION])
    try:
        parsed.deserialize(token)
        header = json.loads(parsed.objects["protected"])
    except (JWException, ValueError, KeyError, RecursionError) as exc:
        raise PayloadError("The JWE is malformed.") from exc
    if (
        not isinstance(header, dict)
        or set(header) - ALLOWED_HEADER
        or header.get("alg") != ALGORITHM
        or header.get("enc") != ENCRYPTION
        or header.get("kid") != key_id
    ):
        raise PayloadError(f'The JWE header must be alg "{ALGORITHM}", enc "{ENCRYPTION}", kid the signing key.')
    try:
        parsed.decrypt(_jwk(key))
    except JWException as exc:
        raise PayloadError("The JWE does not decrypt with this key.") from exc
    return parsed.payload
