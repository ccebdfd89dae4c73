"""The key that signs OAuth2 access tokens and ID tokens, and its id in /o/.well-known/jwks.json."""

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from oauth2_provider.utils import jwk_from_pem

from apiproject.keys import oidc_rsa_private_key


def signing_key() -> RSAPrivateKey:
    """Return the authorization server's RSA private key (OIDC_RSA_PRIVATE_KEY_FILE)."""
    return oidc_rsa_private_key()


@functools.cache
def signing_key_pem() -> str:
    """Return the private key as PEM text: the form the toolkit's OIDC_RSA_PRIVATE_KEY takes."""
    return (
        signing_key()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode("ascii")
    )


@functools.cache
def signing_kid() -> str:
    """Return the key id that the toolkit's JWKS view publishes for this key.

    The same function as the view (jwcrypto's RFC 7638 SHA-256 thumbprint of the same PEM), so
    the `kid` of our access tokens and the `kid` in /o/.well-known/jwks.json cannot drift apart.
    """
    return jwk_from_pem(signing_key_pem()).thumbprint()


@functools.cache
def verification_key() -> RSAPublicKey:
    """Return the public half, which checks this server's own tokens without any I/O."""
    return signing_key().public_key()
