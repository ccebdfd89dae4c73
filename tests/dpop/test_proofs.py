"""dpop.proofs: what a proof must be (RFC 9449 §4.3), one refusal per rule, no Django involved."""

import base64
import json
import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from apiclient.dpop import DPoPKey
from dpop.proofs import MAX_PROOF_LENGTH, ProofInvalid, htu_normalize, proof_verify
from tests.dpop.helpers import TESTSERVER, craft, public_jwk, thumbprint

URL = f"{TESTSERVER}/api/v1/whoami"


def verify(proof: str, *, method: str = "GET", url: str = URL, now: float | None = None, access_token=None):
    return proof_verify(
        proof, method=method, url=url, now=time.time() if now is None else now, access_token=access_token
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_apiclient_proof_verifies_with_the_key_thumbprint():
    key = DPoPKey()
    proof = verify(key.proof("GET", URL + "?page=2"))
    assert proof.jkt == thumbprint(key)


@pytest.mark.parametrize(
    ("private_key", "alg"),
    [
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (ed25519.Ed25519PrivateKey.generate(), "EdDSA"),
        (rsa.generate_private_key(65537, 2048), "RS256"),
        (rsa.generate_private_key(65537, 2048), "PS256"),
    ],
    ids=["ES256", "EdDSA", "RS256", "PS256"],
)
def test_each_allowed_algorithm_verifies(private_key, alg):
    assert verify(craft(private_key=private_key, alg=alg)).jti


@pytest.mark.parametrize(
    ("url", "other"),
    [
        ("https://API.example.com:443/a/b", "https://api.example.com/a/b"),
        ("http://example.com", "http://example.com/"),
        ("https://example.com/a%7eb", "https://example.com/a~b"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
        ("https://example.com/p?q=1#f", "https://example.com/p"),
    ],
    ids=["case-and-default-port", "empty-path", "unreserved-decoded", "hex-uppercased", "query-and-fragment"],
)
def test_htu_compares_after_normalisation(url, other):
    assert htu_normalize(url) == htu_normalize(other)


@pytest.mark.parametrize(
    ("url", "other"),
    [
        ("https://example.com/p", "http://example.com/p"),
        ("https://example.com:8443/p", "https://example.com/p"),
        ("https://example.com/p", "https://example.com/p/"),
        ("https://example.com/a%2Fb", "https://example.com/a/b"),
    ],
    ids=["scheme", "port", "trailing-slash", "encoded-slash"],
)
def test_htu_differences_that_matter_stay(url, other):
    assert htu_normalize(url) != htu_normalize(other)


def refused(proof: str, **kwargs) -> str:
    with pytest.raises(ProofInvalid) as excinfo:
        verify(proof, **kwargs)
    return str(excinfo.value)


def test_proof_for_another_method_is_refused():
    assert "htm" in refused(craft(method="POST"))


@pytest.mark.parametrize(
    "url",
    [f"{TESTSERVER}/api/v1/purchases/", "https://testserver/api/v1/whoami", "http://evil.example/api/v1/whoami"],
    ids=["path", "scheme", "host"],
)
def test_proof_for_another_url_is_refused(url):
    assert "htu" in refused(craft(url=url))


@pytest.mark.parametrize("offset", [-61, 61], ids=["too-old", "in-the-future"])
def test_iat_outside_60_seconds_is_refused(offset):
    assert "iat" in refused(craft(claims={"iat": int(time.time()) + offset}))


def test_iat_that_is_not_an_integer_is_refused():
    assert "iat" in refused(craft(claims={"iat": str(int(time.time()))}))


def test_missing_claims_are_refused():
    for name in ("jti", "htm", "htu", "iat"):
        refused(craft(drop=(name,)))


def test_wrong_ath_is_refused():
    assert "ath" in refused(craft(access_token="another token"), access_token="the token")


def test_missing_ath_with_a_token_is_refused():
    assert "ath" in refused(craft(), access_token="the token")


def test_signature_by_another_key_than_the_jwk_is_refused():
    proof = craft(header={"jwk": public_jwk(ec.generate_private_key(ec.SECP256R1()))})
    assert "signature" in refused(proof)


def test_symmetric_algorithm_is_refused():
    # HS256 keyed with anything: a server that trusted `alg` would check it with a shared secret.
    proof = pyjwt.encode(
        {"jti": "x", "htm": "GET", "htu": URL, "iat": int(time.time())},
        "a-shared-secret-of-thirty-two-bytes!",
        algorithm="HS256",
        headers={"typ": "dpop+jwt", "jwk": {"kty": "oct", "k": b64(b"a-shared-secret")}},
    )
    assert "alg" in refused(proof)


def test_alg_none_is_refused():
    header = b64(
        json.dumps(
            {"typ": "dpop+jwt", "alg": "none", "jwk": public_jwk(ec.generate_private_key(ec.SECP256R1()))}
        ).encode()
    )
    payload = b64(json.dumps({"jti": "x", "htm": "GET", "htu": URL, "iat": int(time.time())}).encode())
    refused(f"{header}.{payload}.")
    refused(f"{header}.{payload}.{b64(b'sig')}")


def test_private_key_in_the_jwk_is_refused():
    private_key = ec.generate_private_key(ec.SECP256R1())
    leaked = {**public_jwk(private_key), "d": b64(private_key.private_numbers().private_value.to_bytes(32, "big"))}
    assert "private" in refused(craft(private_key=private_key, header={"jwk": leaked}))


def test_wrong_typ_is_refused():
    assert "typ" in refused(craft(header={"typ": "JWT"}))


def test_curve_that_does_not_fit_alg_is_refused():
    private_key = ec.generate_private_key(ec.SECP384R1())
    refused(craft(private_key=private_key, alg="ES384"))  # not allowed at all
    p256 = ec.generate_private_key(ec.SECP256R1())
    refused(craft(private_key=p256, header={"jwk": public_jwk(private_key)}))  # a P-384 jwk under ES256


def jwk_with(private_key, **members) -> dict:
    return {**public_jwk(private_key), **members}


def test_jwk_for_another_use_is_refused():
    private_key = ec.generate_private_key(ec.SECP256R1())
    assert "use" in refused(craft(private_key=private_key, header={"jwk": jwk_with(private_key, use="enc")}))


@pytest.mark.parametrize(
    "key_ops", [["sign"], ["encrypt", "wrapKey"], [], ["Verify"]], ids=["sign", "encrypt", "empty", "case"]
)
def test_jwk_whose_key_ops_lack_verify_is_refused(key_ops):
    private_key = ec.generate_private_key(ec.SECP256R1())
    proof = craft(private_key=private_key, header={"jwk": jwk_with(private_key, key_ops=key_ops)})
    assert "key_ops" in refused(proof)


@pytest.mark.parametrize(
    ("private_key", "alg", "jwk_alg"),
    [
        (ec.generate_private_key(ec.SECP256R1()), "ES256", "ES384"),
        (rsa.generate_private_key(65537, 2048), "RS256", "PS256"),
    ],
    ids=["ES256-as-ES384", "RS256-as-PS256"],
)
def test_jwk_alg_other_than_the_header_alg_is_refused(private_key, alg, jwk_alg):
    proof = craft(private_key=private_key, alg=alg, header={"jwk": jwk_with(private_key, alg=jwk_alg)})
    assert "header alg" in refused(proof)


def test_jwk_for_verifying_this_alg_is_accepted():
    private_key = ec.generate_private_key(ec.SECP256R1())
    key = jwk_with(private_key, use="sig", key_ops=["verify"], alg="ES256")
    assert verify(craft(private_key=private_key, header={"jwk": key})).jti


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_small_rsa_key_is_refused():
    assert "2048" in refused(craft(private_key=rsa.generate_private_key(65537, 1024), alg="RS256"))


def test_oversize_proof_is_refused_before_parsing():
    assert "too long" in refused("a" * (MAX_PROOF_LENGTH + 1))


@pytest.mark.parametrize(
    "value",
    ["", "not a jwt", "a.b", "a.b.c.d.e", "é.é.é", "eyJ9.eyJ9.c2ln", "a,b.c.d", b64(b"[1]") + ".e30.c2ln"],
    ids=["empty", "words", "two-segments", "five-segments", "non-ascii", "bad-json", "comma", "header-not-object"],
)
def test_malformed_proofs_are_refused(value):
    refused(value)


def test_crit_header_is_refused():
    refused(craft(header={"crit": ["exp"]}))
