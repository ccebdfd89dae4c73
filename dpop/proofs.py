"""DPoP proofs (RFC 9449 §4): check one proof JWT against the request it came with.

No Django and no DRF: a pure function over the proof, the request's method and URL, the
access token (for resource requests) and the time. apiproject.jwt_verification verifies the
JWS (PyJWT's `jwt.decode`, as for every JWT this server checks); the rules around it are RFC
9449 §4.3, in the order they run, cheapest first:

1. Size and shape before any parsing (jwt_header): at most MAX_PROOF_LENGTH characters, three
   non-empty base64url segments (no `alg: none`, no JWE, no JSON serialization, nothing
   non-ASCII); `typ` is `dpop+jwt`, `alg` is one of ALGORITHMS (asymmetric only: an HMAC
   "signature" would be made with a key the server never saw), no `crit`.
2. The header's `jwk` (here): a public key of the type `alg` needs, with no private member
   (`d`, `p`, ...): a client that sends its private key has leaked it. Its `use`, `key_ops`
   and `alg`, where present, must be `sig`, include `verify`, and equal the header's `alg`.
3. The signature by that `jwk`, and the claims' presence and types (jwt_verify): `jti`, `htm`
   and `htu` are strings, `iat` an integer, not in the future beyond MAX_AGE_SECONDS.
4. The claims (here): `jti` at most MAX_JTI_LENGTH characters, `htm` equal to the method, `htu`
   equal to the request URL after RFC 3986 normalisation, without query and fragment (§4.3
   step 9), `iat` within MAX_AGE_SECONDS of now (either way), and, with an access token, `ath`
   equal to its base64url SHA-256 (§4.3 step 11).

Replay (`jti` accepted once) needs the shared store, so it is the caller's step, after this
one: a forged or stale proof cannot use up a `jti`.
"""

import base64
import functools
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from jwcrypto import jwk

from apiproject.jwt_verification import TokenInvalid, jwt_header, jwt_verify

__all__ = [
    "ALGORITHMS",
    "MAX_AGE_SECONDS",
    "MAX_PROOF_LENGTH",
    "Proof",
    "ProofInvalid",
    "access_token_hash",
    "htu_normalize",
    "proof_verify",
]

TYPE = "dpop+jwt"  # RFC 9449 §4.2
TYPES = frozenset({TYPE})
REQUIRED_CLAIMS = ("jti", "htm", "htu", "iat")  # RFC 9449 §4.2; `ath` too, with an access token
# Asymmetric only (RFC 9449 §4.2: "MUST NOT be none or an identifier for a symmetric
# algorithm"), each with the one key type and curve it is defined for.
ALGORITHMS = {
    "ES256": ("EC", "P-256"),
    "EdDSA": ("OKP", "Ed25519"),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
}
MIN_RSA_BITS = 2048
MAX_AGE_SECONDS = 60  # API.md §12: iat within 60 seconds of the server clock
# An RSA-4096 proof is about 2,100 characters; anything near this is an attack or a mistake.
MAX_PROOF_LENGTH = 4096
MAX_JTI_LENGTH = 128
# RFC 7517 §6.2.2, §6.3.2, §6.4: members that only a private (or symmetric) key has.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# The members of each key type; anything else in a proof's key is refused (RFC 7517 §4 allows
# more, but a DPoP key needs none, and every extra member is more input to parse).
PUBLIC_MEMBERS = {
    "EC": frozenset({"kty", "crv", "x", "y", "alg", "use", "kid", "key_ops"}),
    "OKP": frozenset({"kty", "crv", "x", "alg", "use", "kid", "key_ops"}),
    "RSA": frozenset({"kty", "n", "e", "alg", "use", "kid", "key_ops"}),
}
DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 3986 §2.3: unreserved characters, which §6.2.2.2 says to decode wherever they are encoded.
_PERCENT_ENCODED = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class ProofInvalid(Exception):
    """The proof cannot be accepted; the message says why (RFC 9449 §7.1 error_description)."""


@dataclass(frozen=True, slots=True)
class Proof:
    """A verified proof: the thumbprint of its key (RFC 7638), its jti and its iat."""

    jkt: str
    jti: str
    iat: int


def access_token_hash(access_token: str) -> str:
    """Return `ath` for a token: base64url (unpadded) of the SHA-256 of its ASCII (RFC 9449 §4.2)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@functools.lru_cache(maxsize=1024)
def htu_normalize(url: str) -> str:
    """Return `url` as RFC 9449 §4.3 compares it: scheme, host, port and path, normalised.

    RFC 3986 §6.2.2 and §6.2.3: scheme and host lowercased, the scheme's default port dropped,
    an empty path read as "/", percent-encodings of unreserved characters decoded and the
    others uppercased; query and fragment dropped. Raises ProofInvalid for what is not an
    absolute http(s) URL. Cached: a client names the same few URLs in every proof.
    """
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError as exc:  # a bad port or IPv6 literal
        raise ProofInvalid("htu is not a URL") from exc
    if scheme not in DEFAULT_PORTS or not host or parts.username is not None or parts.password is not None:
        raise ProofInvalid("htu is not an absolute http(s) URL")
    if ":" in host:
        host = f"[{host}]"
    authority = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{authority}{_PERCENT_ENCODED.sub(_percent_normalize, parts.path) or '/'}"


def _percent_normalize(match: re.Match) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else f"%{match.group(1).upper()}"


def proof_verify(proof: str, *, method: str, url: str, now: float, access_token: str | None = None) -> Proof:
    """Verify a DPoP proof for the request `method url` at time `now`, or raise ProofInvalid.

    With `access_token` (a resource request) the proof must carry its hash in `ath`. The
    caller checks the returned `jkt` against the token's `cnf.jkt` and the `jti` for replay.
    """
    try:
        header = jwt_header(proof, types=TYPES, algorithms=ALGORITHMS, max_length=MAX_PROOF_LENGTH)
        key, jkt = _public_key(json.dumps(_proof_jwk(header), sort_keys=True), header["alg"])
        claims = jwt_verify(
            proof,
            key=key.key,
            types=TYPES,
            algorithms=ALGORITHMS,
            required=REQUIRED_CLAIMS,
            leeway=MAX_AGE_SECONDS,  # PyJWT's iat check then allows what step 4 allows
            max_length=MAX_PROOF_LENGTH,
        )  # not cached: every proof is new
    except TokenInvalid as exc:
        raise ProofInvalid(str(exc)) from exc
    _check_claims(claims, method=method, url=url, now=now, access_token=access_token)
    return Proof(jkt=jkt, jti=claims["jti"], iat=claims["iat"])


def _proof_jwk(header: dict[str, Any]) -> dict[str, Any]:
    key = header.get("jwk")
    if not isinstance(key, dict):
        raise ProofInvalid("no jwk in the header")
    if PRIVATE_MEMBERS & key.keys():
        raise ProofInvalid("the jwk holds a private key")
    kty, crv = ALGORITHMS[header["alg"]]
    if key.get("kty") != kty or (crv is not None and key.get("crv") != crv):
        raise ProofInvalid("the jwk does not fit alg")
    if key.keys() - PUBLIC_MEMBERS[kty] or not all(_is_member_value(name, value) for name, value in key.items()):
        raise ProofInvalid("unexpected jwk members")
    # RFC 7517 §4.2-4.4, RFC 9449 §4.3 step 7: where the key says what it is for, that must
    # include verifying this very signature; a key without these members says nothing.
    if key.get("use", "sig") != "sig":
        raise ProofInvalid("the jwk use is not sig")
    if "verify" not in key.get("key_ops", ["verify"]):
        raise ProofInvalid("the jwk key_ops do not include verify")
    if key.get("alg", header["alg"]) != header["alg"]:
        raise ProofInvalid("the jwk alg is not the header alg")
    return key


def _is_member_value(name: str, value: Any) -> bool:
    # RFC 7517 §4.3: key_ops is a list of strings; every other member here is a string.
    if name == "key_ops":
        return isinstance(value, list) and len(value) <= 8 and all(isinstance(op, str) for op in value)
    return isinstance(value, str)


@functools.lru_cache(maxsize=1024)
def _public_key(key_json: str, alg: str) -> tuple[jwt.PyJWK, str]:
    # Per key and algorithm: a client signs every proof with one key, so the key is parsed and
    # its thumbprint taken once per process, not once per request. Bounded; a flood of new keys
    # only evicts (and each of them still has its signature checked).
    members = json.loads(key_json)
    try:
        key = jwt.PyJWK(members, algorithm=alg)  # checks the curve against ES256 / EdDSA
        thumbprint = jwk.JWK(**members).thumbprint()  # RFC 7638, SHA-256, base64url
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise ProofInvalid("the jwk is not a valid public key") from exc
    if ALGORITHMS[alg][0] == "RSA" and key.key.key_size < MIN_RSA_BITS:
        raise ProofInvalid("RSA keys must have at least 2048 bits")
    return key, thumbprint


def _check_claims(claims: dict[str, Any], *, method: str, url: str, now: float, access_token: str | None) -> None:
    # jwt_verify has checked that jti, htm and htu are strings and iat an integer.
    if not 0 < len(claims["jti"]) <= MAX_JTI_LENGTH:
        raise ProofInvalid("jti must be a string of 1 to 128 characters")
    if claims["htm"] != method:
        raise ProofInvalid("htm does not match the request method")
    if htu_normalize(claims["htu"]) != htu_normalize(url):
        raise ProofInvalid("htu does not match the request URL")
    if abs(now - claims["iat"]) > MAX_AGE_SECONDS:
        raise ProofInvalid("iat is not within 60 seconds of the server clock")
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(ath, access_token_hash(access_token)):
            raise ProofInvalid("ath does not match the access token")
