"""Client attestation as app identity on /api/v1/ (API.md §13): each refusal is 401 invalid_client_attestation."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from rest_framework import status

from apiclient.attestation import instance_key_generate, instance_public_jwk
from attestation.crypto import ATTESTATION_TYP, MAX_HEADER_BYTES, POP_TYP
from attestation.models import ClientAttester
from attestation.reference_attester import attester_public_pem
from attestation.services import client_attester_add
from clients.models import UsageRecord
from clients.usage import usage_flush
from tests.attestation.helpers import Attester
from tests.clients.factories import make_api_client

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/whoami"
ATTESTATION, POP = "HTTP_OAUTH_CLIENT_ATTESTATION", "HTTP_OAUTH_CLIENT_ATTESTATION_POP"


def b64(data: bytes | str) -> str:
    return base64.urlsafe_b64encode(data.encode() if isinstance(data, str) else data).rstrip(b"=").decode()


def unsigned(header: dict, claims: object) -> str:
    """A JWS with the given header and payload and a junk signature."""
    return f"{b64(json.dumps(header))}.{b64(json.dumps(claims))}.{b64(b'signature')}"


def assert_refused(response, code: str = "invalid_client_attestation") -> None:
    assert response.status_code == status.HTTP_401_UNAUTHORIZED, response.content
    assert response.json()["code"] == code
    assert "WWW-Authenticate" in response


# --- success -----------------------------------------------------------------------------------


def test_attested_request_identifies_the_app(api_client, instance, mobile_app):
    response = api_client.get(WHOAMI, **instance.headers())

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json() == {"user": None, "client": mobile_app.client.client_id, "schemes": ["attestation"]}


def test_attested_request_is_counted_in_usage_without_a_key(api_client, instance, mobile_app):
    api_client.get(WHOAMI, **instance.headers())
    usage_flush()

    row = UsageRecord.objects.get(client=mobile_app.client)
    assert (row.key_id, row.route, row.status_code, row.count) == (None, "api/v1/whoami", 200, 1)


def test_attestation_is_reused_with_a_fresh_pop_each_time(api_client, instance):
    # Draft -11 §11.1: one attestation serves many requests; only the PoP is new each time.
    for _ in range(3):
        assert api_client.get(WHOAMI, **instance.headers()).status_code == status.HTTP_200_OK


def test_attested_request_is_throttled_like_a_keyed_one(api_client, attester, settings):
    app = make_api_client(name="Throttled mobile app", throttle_rate="2/minute")
    attester.register_pem(app.client.client_id)
    instance = attester.attest(app.client.client_id)

    statuses = [api_client.get(WHOAMI, **instance.headers()).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_no_attestation_headers_leaves_other_schemes_alone(app_client):
    assert app_client.get(WHOAMI).json()["schemes"] == ["key"]


# --- refusals: 401 invalid_client_attestation ---------------------------------------------------


def test_missing_pop_returns_401(api_client, instance):
    assert_refused(api_client.get(WHOAMI, **{ATTESTATION: instance.attestation}))


def test_pop_without_attestation_returns_401(api_client, instance):
    assert_refused(api_client.get(WHOAMI, **{POP: instance.pop()}))


def test_pop_signed_by_another_key_returns_401(api_client, instance):
    other = instance_key_generate()
    assert_refused(api_client.get(WHOAMI, **instance.headers(pop=instance.pop(key=other))))


def test_replayed_pop_returns_401(api_client, instance):
    headers = instance.headers()
    assert api_client.get(WHOAMI, **headers).status_code == status.HTTP_200_OK

    assert_refused(api_client.get(WHOAMI, **headers))


def test_replay_spends_none_of_the_apps_budget(api_client, attester):
    app = make_api_client(name="Throttled mobile app", throttle_rate="2/minute")
    attester.register_pem(app.client.client_id)
    instance = attester.attest(app.client.client_id)
    headers = instance.headers()
    assert api_client.get(WHOAMI, **headers).status_code == status.HTTP_200_OK
    assert_refused(api_client.get(WHOAMI, **headers))

    assert api_client.get(WHOAMI, **instance.headers()).status_code == status.HTTP_200_OK  # 2 of 2/minute


def test_replay_is_counted_in_usage_as_a_401(api_client, instance, mobile_app):
    headers = instance.headers()
    api_client.get(WHOAMI, **headers)
    api_client.get(WHOAMI, **headers)
    usage_flush()

    counts = dict(UsageRecord.objects.filter(client=mobile_app.client).values_list("status_code", "count"))
    assert counts == {200: 1, 401: 1}  # as a replayed signature is


def test_expired_attestation_returns_401(api_client, attester, mobile_app):
    instance = attester.attest(mobile_app.client.client_id, exp=int(time.time()) - 60)
    assert_refused(api_client.get(WHOAMI, **instance.headers()))


def test_attestation_without_exp_returns_401(api_client, attester, mobile_app):
    instance = attester.attest(mobile_app.client.client_id, exp=None)
    assert_refused(api_client.get(WHOAMI, **instance.headers()))


def test_attestation_for_another_client_id_returns_401(api_client, attester, mobile_app):
    # The attester of the mobile app signs for an app it was not registered for.
    other_app = make_api_client(name="Other app")
    instance = attester.attest(other_app.client.client_id)
    assert_refused(api_client.get(WHOAMI, **instance.headers()))


def test_attestation_of_an_inactive_app_returns_401(api_client, instance, mobile_app):
    mobile_app.client.is_active = False
    mobile_app.client.save()
    assert_refused(api_client.get(WHOAMI, **instance.headers()))


def test_removed_attester_is_refused_once_the_lookup_cache_expires(api_client, instance, mobile_app, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("attestation.selectors._clock", lambda: now[0])
    assert api_client.get(WHOAMI, **instance.headers()).status_code == status.HTTP_200_OK
    ClientAttester.objects.filter(api_client=mobile_app.client).delete()

    assert api_client.get(WHOAMI, **instance.headers()).status_code == status.HTTP_200_OK  # cached
    now[0] += settings.API_KEY_CACHE_SECONDS + 1
    assert_refused(api_client.get(WHOAMI, **instance.headers()))


def test_unregistered_attester_returns_401(api_client, mobile_app):
    stranger = Attester()
    instance = stranger.attest(mobile_app.client.client_id)
    assert_refused(api_client.get(WHOAMI, **instance.headers()))


def test_attestation_signed_with_hs256_returns_401(api_client, instance, mobile_app):
    claims = jwt.decode(instance.attestation, options={"verify_signature": False})
    forged = jwt.encode(
        claims, "a-shared-secret-of-32-bytes-long!", algorithm="HS256", headers={"typ": ATTESTATION_TYP}
    )
    assert_refused(api_client.get(WHOAMI, **{ATTESTATION: forged, POP: instance.pop()}))


def test_attestation_hs256_with_the_attester_public_key_as_secret_returns_401(api_client, instance, attester):
    # The classic key confusion: HMAC keyed with the attester's public PEM, which anyone has.
    claims = jwt.decode(instance.attestation, options={"verify_signature": False})
    secret = attester_public_pem(attester.keys[attester.kid]).encode()
    header = {"alg": "HS256", "typ": ATTESTATION_TYP, "kid": attester.kid}
    signing_input = f"{b64(json.dumps(header))}.{b64(json.dumps(claims))}"
    forged = f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"
    assert_refused(api_client.get(WHOAMI, **{ATTESTATION: forged, POP: instance.pop()}))


def test_pop_signed_with_hs256_returns_401(api_client, instance):
    pop = jwt.encode(
        {"aud": "http://testserver/o", "jti": "j1", "iat": int(time.time())},
        "a-shared-secret-of-32-bytes-long!",
        algorithm="HS256",
        headers={"typ": POP_TYP},
    )
    assert_refused(api_client.get(WHOAMI, **instance.headers(pop=pop)))


def test_attestation_with_alg_none_returns_401(api_client, instance):
    claims = jwt.decode(instance.attestation, options={"verify_signature": False})
    forged = f"{b64(json.dumps({'alg': 'none', 'typ': ATTESTATION_TYP}))}.{b64(json.dumps(claims))}."
    assert_refused(api_client.get(WHOAMI, **{ATTESTATION: forged, POP: instance.pop()}))


def test_pop_with_alg_none_returns_401(api_client, instance):
    claims = {"aud": "http://testserver/o", "jti": "j1", "iat": int(time.time())}
    pop = f"{b64(json.dumps({'alg': 'none', 'typ': POP_TYP}))}.{b64(json.dumps(claims))}."
    assert_refused(api_client.get(WHOAMI, **instance.headers(pop=pop)))


def test_pop_for_another_audience_returns_401(api_client, instance):
    assert_refused(api_client.get(WHOAMI, **instance.headers(audience="https://other.example/o")))


def test_pop_for_several_audiences_returns_401(api_client, instance):
    pop = instance.pop(audience=["http://testserver/o", "https://other.example/o"])
    assert_refused(api_client.get(WHOAMI, **instance.headers(pop=pop)))


def test_pop_older_than_60_seconds_returns_401(api_client, instance):
    assert_refused(api_client.get(WHOAMI, **instance.headers(iat=int(time.time()) - 120)))


def test_pop_from_the_future_returns_401(api_client, instance):
    assert_refused(api_client.get(WHOAMI, **instance.headers(iat=int(time.time()) + 120)))


@pytest.mark.parametrize("claim", ["jti", "iat", "aud"])
def test_pop_without_a_required_claim_returns_401(api_client, instance, claim):
    assert_refused(api_client.get(WHOAMI, **instance.headers(**{claim: None})))


def test_pop_naming_another_client_as_iss_returns_401(api_client, instance):
    assert_refused(api_client.get(WHOAMI, **instance.headers(iss="someone-else")))


def test_pop_naming_the_client_as_iss_is_accepted(api_client, instance, mobile_app):
    # API.md §13 and drafts before -06 put iss = client_id in the PoP; -11 dropped it.
    response = api_client.get(WHOAMI, **instance.headers(iss=mobile_app.client.client_id))
    assert response.status_code == status.HTTP_200_OK


def test_oversize_attestation_header_returns_401(api_client, attester, mobile_app):
    instance = attester.attest(mobile_app.client.client_id, padding="x" * MAX_HEADER_BYTES)
    assert len(instance.attestation) > MAX_HEADER_BYTES
    assert_refused(api_client.get(WHOAMI, **instance.headers()))


def test_oversize_pop_header_returns_401(api_client, instance):
    assert_refused(api_client.get(WHOAMI, **instance.headers(padding="x" * MAX_HEADER_BYTES)))


def _private_jwk() -> dict:
    key = ec.generate_private_key(ec.SECP256R1())
    return jwt.algorithms.ECAlgorithm.to_jwk(key, as_dict=True)


CNF_VARIANTS = {
    "missing": None,
    "not_an_object": "a string",
    "no_jwk": {"jkt": "abc"},
    "jwk_not_an_object": {"jwk": "abc"},
    "private_key": {"jwk": _private_jwk()},
    "symmetric_key": {"jwk": {"kty": "oct", "k": b64(b"0" * 32)}},
    "unknown_kty": {"jwk": {"kty": "XYZ"}},
    "broken_ec_key": {"jwk": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}},
}


@pytest.mark.parametrize("cnf", list(CNF_VARIANTS.values()), ids=list(CNF_VARIANTS))
def test_bad_cnf_returns_401(api_client, attester, mobile_app, cnf):
    instance = attester.attest(mobile_app.client.client_id, cnf=cnf)
    assert_refused(api_client.get(WHOAMI, **instance.headers()))


def test_rsa_instance_key_is_accepted(api_client, attester, mobile_app):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    instance = attester.attest(mobile_app.client.client_id, cnf={"jwk": jwk})
    pop = jwt.encode(
        {"aud": "http://testserver/o", "jti": "rsa-1", "iat": int(time.time())},
        key,
        algorithm="PS256",
        headers={"typ": POP_TYP},
    )
    assert api_client.get(WHOAMI, **instance.headers(pop=pop)).status_code == status.HTTP_200_OK


@pytest.mark.parametrize(
    "sub", [None, 42, "", "x" * 300, ["a"]], ids=["missing", "number", "empty", "too_long", "list"]
)
def test_bad_sub_returns_401(api_client, attester, mobile_app, sub):
    instance = attester.attest(mobile_app.client.client_id, sub=sub)
    assert_refused(api_client.get(WHOAMI, **instance.headers()))


def _with_typ(token: str, typ: str | None) -> str:
    header_b64, payload, signature = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    header = {**header, "typ": typ} if typ is not None else {k: v for k, v in header.items() if k != "typ"}
    return f"{b64(json.dumps(header))}.{payload}.{signature}"


@pytest.mark.parametrize("typ", [None, "JWT", POP_TYP], ids=["missing", "JWT", "pop_typ"])
def test_attestation_with_wrong_typ_returns_401(api_client, attester, mobile_app, typ):
    instance = attester.attest(mobile_app.client.client_id)
    claims = jwt.decode(instance.attestation, options={"verify_signature": False})
    token = attester.sign(claims, headers={"typ": typ} if typ else None)
    if typ is None:
        token = _with_typ(token, None)  # an unsigned change: refused on typ before the signature
    assert_refused(api_client.get(WHOAMI, **{ATTESTATION: token, POP: instance.pop()}))


@pytest.mark.parametrize("typ", [None, "JWT", ATTESTATION_TYP], ids=["missing", "JWT", "attestation_typ"])
def test_pop_with_wrong_typ_returns_401(api_client, instance, typ):
    pop = instance.pop(headers={"typ": typ}) if typ else _with_typ(instance.pop(), None)
    assert_refused(api_client.get(WHOAMI, **instance.headers(pop=pop)))


MALFORMED = {
    "empty": "",
    "one_segment": "abc",
    "two_segments": "abc.def",
    "four_segments": "a.b.c.d",
    "spaces": "a b.c.d",
    "padding": "abc=.def.ghi",
    "non_ascii": "é.é.é",
    "two_values": "a.b.c, a.b.c",
    "bad_base64": "!!!.abc.def",
    "header_not_json": f"{b64('not json')}.{b64('{}')}.{b64('s')}",
    "header_a_list": f"{b64('[1, 2]')}.{b64('{}')}.{b64('s')}",
    "payload_not_json": f"{b64(json.dumps({'alg': 'ES256', 'typ': ATTESTATION_TYP}))}.{b64('nope')}.{b64('s')}",
    "payload_a_list": unsigned({"alg": "ES256", "typ": ATTESTATION_TYP}, [1, 2]),
    "alg_unknown": unsigned({"alg": "ES999", "typ": ATTESTATION_TYP}, {"sub": "x"}),
    "alg_not_a_string": unsigned({"alg": ["ES256"], "typ": ATTESTATION_TYP}, {"sub": "x"}),
    "kid_not_a_string": unsigned({"alg": "ES256", "typ": ATTESTATION_TYP, "kid": {"a": 1}}, {"sub": "x"}),
    "junk_signature": unsigned({"alg": "ES256", "typ": ATTESTATION_TYP}, {"sub": "x", "exp": 2**31, "cnf": {}}),
    "null_bytes": "a\x00.b.c",
}


@pytest.mark.parametrize("value", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_attestation_header_returns_401(api_client, instance, value):
    response = api_client.get(WHOAMI, **{ATTESTATION: value, POP: instance.pop()})
    assert_refused(response)


@pytest.mark.parametrize("value", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_pop_header_returns_401(api_client, instance, value):
    assert_refused(api_client.get(WHOAMI, **instance.headers(pop=value)))


def test_malformed_pop_does_not_spend_the_attestation(api_client, instance):
    api_client.get(WHOAMI, **instance.headers(pop="a.b.c"))
    assert api_client.get(WHOAMI, **instance.headers()).status_code == status.HTTP_200_OK


# --- the attester's keys: JWKS, rotation, outage ---------------------------------------------------


@pytest.fixture
def jwks_app(db, jwks_server, attester):
    jwks_server.document = attester.jwks()
    app = make_api_client(name="JWKS mobile app")
    client_attester_add(client_id=app.client.client_id, jwks_url=jwks_server.url)
    return app


def test_attestation_checked_with_the_attester_jwks(api_client, jwks_app, attester, jwks_server):
    instance = attester.attest(jwks_app.client.client_id)
    assert api_client.get(WHOAMI, **instance.headers()).status_code == status.HTTP_200_OK
    assert api_client.get(WHOAMI, **instance.headers()).status_code == status.HTTP_200_OK
    assert jwks_server.fetches == 1  # cached


def test_rotated_attester_key_is_fetched_and_the_old_kid_refused(api_client, jwks_app, attester, jwks_server):
    old = attester.attest(jwks_app.client.client_id)
    assert api_client.get(WHOAMI, **old.headers()).status_code == status.HTTP_200_OK

    # The attester rotates: a new key k2, and k1 leaves its JWKS.
    attester.keys = {"k2": ec.generate_private_key(ec.SECP256R1())}
    jwks_server.document = attester.jwks()
    new = attester.attest(jwks_app.client.client_id)

    assert api_client.get(WHOAMI, **new.headers()).status_code == status.HTTP_200_OK  # unknown kid: refetched
    assert_refused(api_client.get(WHOAMI, **old.headers()))  # k1 is gone from the refetched set


def test_unknown_kids_refetch_the_jwks_at_most_once_per_cooldown(api_client, jwks_app, attester, jwks_server, settings):
    settings.ATTESTATION_JWKS_REFETCH_COOLDOWN_SECONDS = 600
    assert api_client.get(WHOAMI, **attester.attest(jwks_app.client.client_id).headers()).status_code == 200
    forger = Attester(keys={f"random-{n}": ec.generate_private_key(ec.SECP256R1()) for n in range(5)})

    for kid in forger.keys:
        assert_refused(api_client.get(WHOAMI, **forger.attest(jwks_app.client.client_id, kid=kid).headers()))

    assert jwks_server.fetches == 1  # random kids cannot make this server hammer the attester


def test_attestation_without_kid_for_a_jwks_attester_returns_401(api_client, jwks_app, attester):
    instance = attester.attest(jwks_app.client.client_id)
    claims = jwt.decode(instance.attestation, options={"verify_signature": False})
    token = jwt.encode(claims, attester.keys[attester.kid], algorithm="ES256", headers={"typ": ATTESTATION_TYP})
    assert_refused(api_client.get(WHOAMI, **{ATTESTATION: token, POP: instance.pop()}))


def test_unreachable_attester_jwks_returns_503(api_client, attester, db):
    app = make_api_client(name="Unreachable attester app")
    client_attester_add(client_id=app.client.client_id, jwks_url="http://127.0.0.1:1/jwks.json")
    instance = attester.attest(app.client.client_id)

    response = api_client.get(WHOAMI, **instance.headers())

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["code"] == "attester_unavailable"


def test_stalled_attester_jwks_returns_503_after_the_timeout(api_client, jwks_app, attester, jwks_server, settings):
    settings.ATTESTATION_JWKS_TIMEOUT_SECONDS = 0.5
    jwks_server.hang.set()
    instance = attester.attest(jwks_app.client.client_id)

    response = api_client.get(WHOAMI, **instance.headers())

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["code"] == "attester_unavailable"


def test_attester_jwks_that_is_not_a_jwks_returns_503(api_client, jwks_app, attester, jwks_server):
    jwks_server.document = {"keys": "not a list"}
    instance = attester.attest(jwks_app.client.client_id)

    response = api_client.get(WHOAMI, **instance.headers())

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["code"] == "attester_unavailable"


def test_replay_store_down_returns_503(api_client, instance, cache_down):
    cache_down()
    response = api_client.get(WHOAMI, **instance.headers())

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["code"] == "replay_store_unavailable"


def test_instance_public_jwk_has_no_private_part():
    assert "d" not in instance_public_jwk(instance_key_generate())


# --- an alg that does not fit the key, and a hanging JWKS (found by an attack review) ------------


def _with_alg(token: str, alg: str, typ: str) -> str:
    """The same payload and signature under a header naming another algorithm."""
    return b64(json.dumps({"typ": typ, "alg": alg})) + "." + token.split(".", 1)[1]


@pytest.mark.parametrize("alg", ["RS256", "PS256", "EdDSA", "ES384"])
def test_attestation_whose_alg_does_not_fit_the_attester_key_returns_401(api_client, instance, alg):
    # The reference attester's key is EC P-256: only ES256 fits. RS256 made PyJWT raise a TypeError (a 500).
    forged = _with_alg(instance.attestation, alg, ATTESTATION_TYP)
    assert_refused(api_client.get(WHOAMI, **{ATTESTATION: forged, POP: instance.pop()}))


@pytest.mark.parametrize("alg", ["RS256", "PS256", "EdDSA"])
def test_pop_whose_alg_does_not_fit_the_instance_key_returns_401(api_client, instance, alg):
    forged = _with_alg(instance.pop(), alg, POP_TYP)
    assert_refused(api_client.get(WHOAMI, **{ATTESTATION: instance.attestation, POP: forged}))


def test_unsigned_attestation_with_an_rsa_alg_returns_401(api_client, instance, mobile_app):
    forged = unsigned({"typ": ATTESTATION_TYP, "alg": "RS256"}, {"sub": mobile_app.client.client_id})
    assert_refused(api_client.get(WHOAMI, **{ATTESTATION: forged, POP: instance.pop()}))


def test_a_failed_attester_jwks_is_not_fetched_again_within_the_cooldown(api_client, jwks_server, settings):
    # Every request naming a client with a hanging JWKS used to wait out the timeout again: a
    # few unauthenticated callers could hold every sync worker. Now one fetch fails, then 503 at once.
    settings.ATTESTATION_JWKS_TIMEOUT_SECONDS = 0.5
    settings.ATTESTATION_JWKS_REFETCH_COOLDOWN_SECONDS = 600
    attester = Attester()
    jwks_server.document = attester.jwks()
    app = make_api_client(name="Hanging attester app")
    client_attester_add(client_id=app.client.client_id, jwks_url=jwks_server.url)
    jwks_server.hang.set()

    answers = [api_client.get(WHOAMI, **attester.attest(app.client.client_id).headers()) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [status.HTTP_503_SERVICE_UNAVAILABLE] * 4
    assert {answer.json()["code"] for answer in answers} == {"attester_unavailable"}
    assert jwks_server.fetches == 1
