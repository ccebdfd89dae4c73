"""accounts.jwt_codec: the kid, the JWKS, and strict encoding and decoding of our tokens."""

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import jwt as pyjwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.exceptions import ImproperlyConfigured

from accounts import jwt_codec
from apiproject.keys import jwt_private_key
from tests.accounts.helpers import b64url, forge, hmac_confused_token, signed_token


@pytest.fixture
def use_key(settings, tmp_path: Path):
    """Sign with a given private key for one test, then go back to the suite's key."""

    def use(key) -> None:
        path = tmp_path / "jwt_codec.pem"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        settings.JWT_PRIVATE_KEY_FILE = str(path)
        jwt_private_key.cache_clear()

    yield use
    jwt_private_key.cache_clear()


def claims(**overrides) -> dict:
    return {
        **jwt_codec.jwt_claims(sub="42", token_type="access", client_id="app", lifetime=timedelta(minutes=5)),
        **overrides,
    }


# --- kid and JWKS --------------------------------------------------------------------------------


def test_kid_is_the_rfc7638_thumbprint_of_the_public_key():
    numbers = jwt_private_key().public_key().public_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()

    assert jwt_codec.jwt_kid() == b64url(hashlib.sha256(canonical).digest())


def test_jwks_publishes_the_public_key_only():
    (key,) = jwt_codec.jwks()["keys"]

    assert key["kid"] == jwt_codec.jwt_kid()
    assert key["alg"] == "ES256"
    assert key["use"] == "sig"
    assert key["kty"] == "EC" and key["crv"] == "P-256"
    assert "d" not in key


def test_encoded_header_names_algorithm_kid_and_type():
    header = pyjwt.get_unverified_header(jwt_codec.jwt_encode(claims()))

    assert header == {"alg": "ES256", "kid": jwt_codec.jwt_kid(), "typ": "JWT"}


@pytest.mark.parametrize(
    ("make_key", "algorithm"),
    [
        (lambda: ed25519.Ed25519PrivateKey.generate(), "EdDSA"),
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
    ],
    ids=["ed25519", "rsa"],
)
def test_algorithm_follows_the_key_type(use_key, make_key, algorithm):
    use_key(make_key())

    token = jwt_codec.jwt_encode(claims())

    assert pyjwt.get_unverified_header(token)["alg"] == algorithm
    assert jwt_codec.jwks()["keys"][0]["alg"] == algorithm
    assert jwt_codec.jwt_decode(token, token_type="access")["sub"] == "42"


@pytest.mark.parametrize(
    "make_key",
    [lambda: ec.generate_private_key(ec.SECP384R1()), lambda: rsa.generate_private_key(65537, 1024)],
    ids=["p384", "rsa-1024"],
)
def test_unsupported_keys_are_refused(use_key, make_key):
    use_key(make_key())

    with pytest.raises(ImproperlyConfigured):
        jwt_codec.jwt_kid()


def test_new_key_gets_new_kid_and_old_tokens_fail(use_key):
    old_token, old_kid = jwt_codec.jwt_encode(claims()), jwt_codec.jwt_kid()

    use_key(ec.generate_private_key(ec.SECP256R1()))

    assert jwt_codec.jwt_kid() != old_kid
    with pytest.raises(jwt_codec.TokenInvalid, match="unknown key"):
        jwt_codec.jwt_decode(old_token, token_type="access")


# --- encoding ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", jwt_codec.REQUIRED_CLAIMS)
def test_encode_refuses_claims_decode_would_refuse(name):
    incomplete = claims()
    del incomplete[name]

    with pytest.raises(ValueError, match=name):
        jwt_codec.jwt_encode(incomplete)


def test_claims_carry_issuer_audience_and_lifetime(settings):
    made = claims()

    assert made["iss"] == settings.JWT_ISSUER
    assert made["aud"] == settings.JWT_AUDIENCE
    assert made["exp"] - made["iat"] == 300
    assert len(made["jti"]) == 32


# --- decoding ----------------------------------------------------------------------------------------


def test_round_trip_returns_the_claims():
    made = claims(username="alice")

    assert jwt_codec.jwt_decode(jwt_codec.jwt_encode(made), token_type="access") == made


def test_bytes_are_accepted():
    assert jwt_codec.jwt_decode(jwt_codec.jwt_encode(claims()).encode(), token_type="access")["sub"] == "42"


def test_other_token_type_is_refused():
    token = jwt_codec.jwt_encode(claims(token_type="refresh"))

    with pytest.raises(jwt_codec.TokenInvalid, match="not a access token"):
        jwt_codec.jwt_decode(token, token_type="access")


def test_expired_token_raises_token_expired():
    token = jwt_codec.jwt_encode(claims())

    with (
        time_machine.travel(timedelta(minutes=5, seconds=jwt_codec.LEEWAY_SECONDS + 1)),
        pytest.raises(jwt_codec.TokenExpired),
    ):
        jwt_codec.jwt_decode(token, token_type="access")


def test_small_clock_skew_is_tolerated():
    token = jwt_codec.jwt_encode(claims())

    with time_machine.travel(timedelta(minutes=5, seconds=jwt_codec.LEEWAY_SECONDS - 2)):
        assert jwt_codec.jwt_decode(token, token_type="access")


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"aud": "another-api"},
        {"aud": ["apiproject-api", "another-api"]},
        {"nbf": 4_000_000_000},
        {"iat": 4_000_000_000},
        {"exp": "4000000000"},
        {"iat": "1700000000"},
        {"exp": 4_000_000_000.5},
        {"exp": True},
        {"sub": 42},
        {"client_id": ["app"]},
        {"jti": 7},
    ],
    ids=[
        "wrong-iss",
        "wrong-aud",
        "several-aud",
        "not-yet-valid-nbf",
        "issued-in-future",
        "exp-as-string",
        "iat-as-string",
        "exp-as-float",
        "exp-as-bool",
        "sub-as-number",
        "client-id-as-list",
        "jti-as-number",
    ],
)
def test_wrong_claims_are_refused(changes):
    token = jwt_codec.jwt_encode(claims(**changes))

    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(token, token_type="access")


@pytest.mark.parametrize("name", jwt_codec.REQUIRED_CLAIMS)
def test_missing_claim_is_refused(name):
    incomplete = claims()
    del incomplete[name]
    token = signed_token(incomplete)

    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(token, token_type="access")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b",
        "a.b.c.d.e",
        "a..c",
        "é.é.é",
        "!!!.***.???",
        "eyJhbGciOiJFUzI1NiJ9.e30.x" + "A" * (jwt_codec.MAX_TOKEN_LENGTH),
        "x" * 100_000,
    ],
    ids=["empty", "one-word", "two-parts", "jwe-shape", "empty-payload", "non-ascii", "non-base64", "8kb", "100kb"],
)
def test_malformed_tokens_are_refused(token):
    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(token, token_type="access")


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        (b"not json", b"{}"),
        (b"[1, 2]", b"{}"),
        (None, b"[1, 2]"),
        (None, b'"a string"'),
        (None, b"null"),
        (None, b"not json"),
        (None, b'{"exp": 1e999}'),
        (b"[" * 5000, b"{}"),
        (None, b"[" * 5000),
    ],
    ids=[
        "header-not-json",
        "header-array",
        "payload-array",
        "payload-string",
        "payload-null",
        "payload-not-json",
        "huge-number",
        "header-deeply-nested",
        "payload-deeply-nested",
    ],
)
def test_undecodable_segments_are_refused(header, payload):
    header = (
        header
        if header is not None
        else json.dumps({"alg": "ES256", "kid": jwt_codec.jwt_kid(), "typ": "JWT"}).encode()
    )
    token = forge(header, payload)

    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(token, token_type="access")


def test_alg_none_is_refused():
    header = {"alg": "none", "kid": jwt_codec.jwt_kid(), "typ": "JWT"}
    unsigned = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims()).encode())}."

    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(unsigned, token_type="access")
    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(unsigned + "c2ln", token_type="access")  # a signature does not help


@pytest.mark.parametrize(
    "extra",
    [
        {"jku": "https://evil.example/jwks"},
        {"jwk": {"kty": "EC"}},
        {"x5u": "https://evil.example/c"},
        {"crit": ["exp"]},
    ],
    ids=["jku", "jwk", "x5u", "crit"],
)
def test_unexpected_header_parameters_are_refused(extra):
    token = signed_token(claims(), headers=extra)

    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(token, token_type="access")


def test_tampered_payload_is_refused():
    header, _, signature = jwt_codec.jwt_encode(claims()).split(".")
    tampered = f"{header}.{b64url(json.dumps(claims(sub='1')).encode())}.{signature}"

    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(tampered, token_type="access")


def test_token_signed_by_another_key_with_our_kid_is_refused():
    other = ec.generate_private_key(ec.SECP256R1())
    token = pyjwt.encode(claims(), other, algorithm="ES256", headers={"kid": jwt_codec.jwt_kid(), "typ": "JWT"})

    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(token, token_type="access")


def test_unknown_kid_is_invalid_not_foreign():
    other = ec.generate_private_key(ec.SECP256R1())
    token = pyjwt.encode(claims(), other, algorithm="ES256", headers={"kid": "someone-else", "typ": "JWT"})

    with pytest.raises(jwt_codec.TokenInvalid) as caught:
        jwt_codec.jwt_decode(token, token_type="access")
    assert not isinstance(caught.value, jwt_codec.ForeignToken)


def test_oauth2_access_token_with_another_kid_is_foreign():
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = pyjwt.encode(claims(), other, algorithm="RS256", headers={"kid": "oidc-key", "typ": "at+jwt"})

    with pytest.raises(jwt_codec.ForeignToken):
        jwt_codec.jwt_decode(token, token_type="access")


def test_at_jwt_typed_token_with_our_kid_is_refused_not_passed_on():
    token = signed_token(claims(), headers={"typ": "at+jwt"})

    with pytest.raises(jwt_codec.TokenInvalid) as caught:
        jwt_codec.jwt_decode(token, token_type="access")
    assert not isinstance(caught.value, jwt_codec.ForeignToken)


def test_unverified_token_type_reads_the_claim_only_for_choosing():
    assert jwt_codec.unverified_token_type(jwt_codec.jwt_encode(claims(token_type="refresh"))) == "refresh"
    assert jwt_codec.unverified_token_type(forge(b'{"alg":"none"}', b'{"token_type": 1}')) is None
    assert jwt_codec.unverified_token_type(forge(b"{}", b"[" * 5000)) is None
    assert jwt_codec.unverified_token_type("garbage") is None
    assert jwt_codec.unverified_token_type("x" * 100_000) is None


def test_hmac_token_keyed_with_our_public_key_is_refused():
    """Algorithm confusion (CVE-2015-9235 and kin): HS256 "signed" with the public key's PEM."""
    with pytest.raises(jwt_codec.TokenInvalid):
        jwt_codec.jwt_decode(hmac_confused_token(claims()), token_type="access")
