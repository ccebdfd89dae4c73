"""The password hasher of generated OAuth2 client secrets: HMAC-SHA-256, fast on purpose."""

import hashlib
import hmac
import re
import secrets

from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare

# What oauth.generators.ClientSecretGenerator makes: a marker and 256 random bits.
GENERATED_SECRET_PREFIX = "ocs_"
_GENERATED_SECRET = re.compile(r"ocs_[A-Za-z0-9_-]{43}")


def generate_client_secret() -> str:
    """Return a new client secret: "ocs_" and 256 bits from the OS CSPRNG, URL-safe base64.

    The marker says "this secret was generated, not chosen" to the hasher below (and to secret
    scanners looking at a leaked file).
    """
    return GENERATED_SECRET_PREFIX + secrets.token_urlsafe(32)


def is_generated_secret(secret: str) -> bool:
    """Return whether `secret` has the shape of generate_client_secret's output."""
    return bool(_GENERATED_SECRET.fullmatch(secret))


def secret_digest(secret: str, salt: str) -> str:
    """Return HMAC-SHA-256(salt, secret) in hex.

    Right for a 256-bit random secret and wrong for a password: a slow hash (Argon2) exists to
    make each guess of a *guessable* secret expensive. Nobody can enumerate 2^256 candidates at
    any speed, so a slow hash would only make every legitimate token request, and every
    attacker's request, cost 200-300 ms of CPU (issue 12 measured 8 threads of wrong secrets
    turning a 5.6 ms /health into 750 ms). The salt keeps two rows with one secret apart.
    """
    return hmac.new(salt.encode(), secret.encode(), hashlib.sha256).hexdigest()


class ClientSecretHasher(BasePasswordHasher):
    """OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"]: HMAC-SHA-256 for generated secrets, Argon2 for the rest.

    A secret an operator typed (`createapplication --client-secret`, the admin) may be guessable,
    so it goes to Argon2 like a password. Rows hashed before this hasher existed keep their
    Argon2 (or PBKDF2) hashes and keep verifying: check_password picks the hasher by the stored
    prefix. This hasher is listed last in PASSWORD_HASHERS so that check_password can identify
    its hashes; no user password is ever made with it (Argon2 is first).
    """

    algorithm = "client_secret_hmac_sha256"

    def encode(self, password: str, salt: str) -> str:
        if not is_generated_secret(password):
            return Argon2PasswordHasher().encode(password, Argon2PasswordHasher().salt())
        self._check_encode_args(password, salt)
        return f"{self.algorithm}${salt}${secret_digest(password, salt)}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(secret_digest(password, decoded["salt"]), decoded["hash"])

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass  # one cost for every row: there is no work factor to catch up on
