"""apiproject.jwt_verification: the one verifier of every JWT, its refusals and its cache."""

import json
import time
from datetime import timedelta

import jwt as pyjwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from accounts import jwt_codec
from apiproject import jwt_verification
from apiproject.jwt_verification import TokenExpired, TokenInvalid, jwt_verify
from apiproject.keys import jwt_private_key
from tests.accounts.helpers import b64url, forge

ISSUER, AUDIENCE = "https://issuer.example", "https://api.example"
REQUIRED = ("iss", "aud", "sub", "exp", "iat", "jti")
KEY = ec.generate_private_key(ec.SECP256R1())


def claims(**overrides) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "42", "iat": now, "exp": now + 300, "jti": "j1", **overrides}


def token(payload: dict | None = None, *, key=KEY, algorithm: str = "ES256", headers: dict | None = None) -> str:
    return pyjwt.encode(claims() if payload is None else payload, key, algorithm=algorithm, headers=headers)


def verify(value: str, *, key=None, **rules) -> dict:
    defaults = {
        "types": {"jwt"},
        "algorithms": ("ES256",),
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "required": REQUIRED,
    }
    return jwt_verify(value, key=KEY.public_key() if key is None else key, **(defaults | rules))


def refused(value: str, **rules) -> str:
    with pytest.raises(TokenInvalid) as caught:
        verify(value, **rules)
    return str(caught.value)


def test_token_with_every_rule_met_verifies():
    assert verify(token())["sub"] == "42"


@pytest.mark.parametrize(
    ("private_key", "algorithm"),
    [
        (ec.generate_private_key(ec.SECP384R1()), "ES384"),
        (ed25519.Ed25519PrivateKey.generate(), "EdDSA"),
        (rsa.generate_private_key(65537, 2048), "PS256"),
    ],
    ids=["ES384", "EdDSA", "PS256"],
)
def test_each_key_verifies_with_its_algorithm(private_key, algorithm):
    signed = token(key=private_key, algorithm=algorithm)
    assert verify(signed, key=private_key.public_key(), algorithms=(algorithm,))["jti"] == "j1"


def test_alg_none_is_refused():
    unsigned = pyjwt.encode(claims(), None, algorithm="none")
    assert "alg" in refused(unsigned + "c2ln", algorithms=("ES256", "none"))  # even if a caller allowed it
    assert "compact" in refused(unsigned)


def test_algorithm_the_caller_did_not_allow_is_refused():
    assert "alg" in refused(token(), algorithms=("EdDSA",))


def test_allowed_algorithm_that_does_not_fit_the_key_is_refused():
    # RS256 on an EC key made PyJWT raise a TypeError (a 500, not a 401).
    forged = b64url(b'{"alg":"RS256","typ":"JWT"}') + "." + token().split(".", 1)[1]
    assert "fit" in refused(forged, algorithms=("ES256", "RS256"))


def test_hmac_signed_with_the_public_key_is_refused():
    assert "alg" in refused(token(key="a-shared-secret-of-thirty-two-bytes!", algorithm="HS256"))


def test_signature_by_another_key_is_refused():
    assert refused(token(key=ec.generate_private_key(ec.SECP256R1()))) == "bad signature"


def test_tampered_payload_is_refused():
    header, _, signature = token().split(".")
    forged = f"{header}.{b64url(json.dumps(claims(sub='admin')).encode())}.{signature}"
    assert refused(forged) == "bad signature"


@pytest.mark.parametrize("name", REQUIRED)
def test_missing_required_claim_is_refused(name):
    incomplete = claims()
    del incomplete[name]
    assert name in refused(token(incomplete))


@pytest.mark.parametrize("name", ["sub", "jti"])
def test_required_claim_that_is_not_a_string_is_refused(name):
    assert name in refused(token(claims(**{name: 42})))


def test_required_object_claim_must_be_an_object():
    required = (*REQUIRED, "cnf")
    assert verify(token(claims(cnf={"jkt": "x"})), required=required, object_claims=("cnf",))
    assert "cnf" in refused(token(claims(cnf="x")), required=required, object_claims=("cnf",))
    assert "cnf" in refused(token(claims(cnf={"jkt": "x"})), required=required)  # a string by default


@pytest.mark.parametrize(
    "changes",
    [{"exp": "4000000000"}, {"iat": str(int(time.time()))}, {"exp": 4_000_000_000.5}, {"nbf": True}],
    ids=["exp-as-string", "iat-as-string", "exp-as-float", "nbf-as-bool"],
)
def test_time_claim_that_is_not_an_integer_is_refused(changes):
    assert "NumericDate" in refused(token(claims(**changes)))


def test_time_past_year_9999_is_refused():
    assert "NumericDate" in refused(token(claims(exp=jwt_verification.MAX_TIMESTAMP + 1)))


@pytest.mark.parametrize(
    ("changes", "word"),
    [({"iss": "someone-else"}, "iss"), ({"aud": "another-api"}, "aud"), ({"aud": [AUDIENCE, "x"]}, "aud")],
    ids=["wrong-iss", "wrong-aud", "several-aud"],
)
def test_wrong_issuer_or_audience_is_refused(changes, word):
    assert word in refused(token(claims(**changes)))


def test_audience_as_an_array_of_only_ours_is_accepted():
    assert verify(token(claims(aud=[AUDIENCE])))  # RFC 7519 §4.1.3


def test_aud_when_none_is_expected_is_refused():
    assert "aud" in refused(token(), audience=None)


def test_issued_in_the_future_is_refused_beyond_the_leeway():
    future = claims(iat=int(time.time()) + 30)
    assert "future" in refused(token(future))
    assert verify(token(future), leeway=60)


def test_expired_token_raises_token_expired():
    with pytest.raises(TokenExpired):
        verify(token(claims(exp=int(time.time()) - jwt_verification.LEEWAY_SECONDS - 1)))


def test_oversize_token_is_refused_before_parsing():
    assert refused("a" * (jwt_verification.MAX_TOKEN_LENGTH + 1)) == "token too long"
    assert refused(token(), max_length=100) == "token too long"


@pytest.mark.parametrize(
    "header",
    [{"crit": ["exp"]}, {"b64": False, "crit": ["b64"]}, {"kid": 7}, {"kid": "k" * 256}],
    ids=["crit", "b64", "kid-not-a-string", "kid-too-long"],
)
def test_header_members_that_could_steer_verification_are_refused(header):
    signature = token().rsplit(".", 1)[1]
    forged = forge(json.dumps({"alg": "ES256", "typ": "JWT", **header}).encode(), json.dumps(claims()).encode())
    assert refused(f"{forged.rsplit('.', 1)[0]}.{signature}") != "bad signature"  # refused before the key


def test_header_outside_the_callers_members_is_refused():
    assert "header" in refused(token(headers={"jku": "https://evil.example/jwks"}), members={"alg", "typ"})


def test_typ_is_compared_in_lower_case():
    assert verify(token(headers={"typ": "JWT"}))
    assert "typ" in refused(token(headers={"typ": "at+jwt"}))


@pytest.mark.parametrize(
    "value",
    ["", "garbage", "a.b", "a.b.c.d.e", "é.é.é", forge(b"[1]", b"{}"), forge(b"{", b"{}")],
    ids=["empty", "one-word", "two-parts", "jwe-shape", "non-ascii", "header-not-object", "bad-json"],
)
def test_malformed_tokens_are_refused(value):
    refused(value)


def test_key_or_keys_but_not_both():
    with pytest.raises(TypeError):
        jwt_verify(token(), types={"jwt"}, algorithms=("ES256",))


# --- the cache of verified tokens, with keys looked up by kid (moved from tests/accounts) -------------


def verify_with(keys: dict, value: str) -> dict:
    return jwt_verify(
        value,
        keys=keys.get,
        algorithms=("RS256",),
        types=frozenset({"at+jwt"}),
        issuer=jwt_codec_claims()["iss"],
        audience=jwt_codec_claims()["aud"],
        required=jwt_codec.REQUIRED_CLAIMS,
        cache=True,
    )


def jwt_codec_claims(**overrides) -> dict:
    return {
        **jwt_codec.jwt_claims(sub="42", token_type="access", client_id="app", lifetime=timedelta(minutes=5)),
        **overrides,
    }


def test_verified_token_is_refused_once_its_key_is_no_longer_trusted():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    value = pyjwt.encode(jwt_codec_claims(), key, algorithm="RS256", headers={"kid": "issuer-key", "typ": "at+jwt"})
    trusted = {"issuer-key": key.public_key()}
    assert verify_with(trusted, value)["sub"] == "42"

    del trusted["issuer-key"]  # rotated out of the issuer's JWKS

    with pytest.raises(TokenInvalid, match="unknown key"):
        verify_with(trusted, value)


def test_verified_token_is_refused_once_its_kid_names_another_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    value = pyjwt.encode(jwt_codec_claims(), key, algorithm="RS256", headers={"kid": "issuer-key", "typ": "at+jwt"})
    trusted = {"issuer-key": key.public_key()}
    assert verify_with(trusted, value)["sub"] == "42"

    # The issuer reuses the kid for a new key: a token signed by the old one is not remembered.
    trusted["issuer-key"] = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()

    with pytest.raises(TokenInvalid):
        verify_with(trusted, value)


def test_verified_token_is_remembered_while_its_kid_names_an_equal_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    value = pyjwt.encode(jwt_codec_claims(), key, algorithm="RS256", headers={"kid": "issuer-key", "typ": "at+jwt"})
    trusted = {"issuer-key": key.public_key()}
    assert verify_with(trusted, value)

    # A JWKS refresh parses the same key again: a new object, equal to the old one.
    trusted["issuer-key"] = serialization.load_pem_public_key(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    assert verify_with(trusted, value)["sub"] == "42"


def test_verified_token_is_refused_once_it_expires():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    value = pyjwt.encode(jwt_codec_claims(), key, algorithm="RS256", headers={"kid": "issuer-key", "typ": "at+jwt"})
    trusted = {"issuer-key": key.public_key()}
    assert verify_with(trusted, value)

    with (
        time_machine.travel(timedelta(minutes=5, seconds=jwt_verification.LEEWAY_SECONDS + 1)),
        pytest.raises(TokenExpired),
    ):
        verify_with(trusted, value)


def test_a_token_verified_for_one_typ_is_not_taken_for_another():
    value = jwt_codec.jwt_encode(jwt_codec_claims())  # typ JWT, our key
    assert jwt_codec.jwt_decode(value, token_type="access")

    with pytest.raises(TokenInvalid, match="unexpected typ"):
        verify_with({jwt_codec.jwt_kid(): jwt_private_key().public_key()}, value)


def test_token_without_kid_is_refused_when_keys_are_looked_up_by_kid():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    value = pyjwt.encode(jwt_codec_claims(), key, algorithm="RS256", headers={"typ": "at+jwt"})
    with pytest.raises(TokenInvalid, match="kid"):
        verify_with({"issuer-key": key.public_key()}, value)


def test_proof_verified_without_cache_is_not_remembered():
    verify(token())
    assert len(jwt_verification._verified) == 0
