"""The RFC 9421 verification core (signatures.message_signatures), without Django or DRF."""

import base64
import hashlib
import hmac

import pytest
from requests.structures import CaseInsensitiveDict

from signatures import message_signatures as signatures
from signatures.message_signatures import Message, Signature

# RFC 9421 Appendix B.1.5: the shared secret "test-shared-secret".
RFC_HMAC_KEY = base64.b64decode(
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="
)
# RFC 9421 Appendix B.2: the example request (RFC 9530's {"hello": "world"} body).
RFC_BODY = b'{"hello": "world"}'
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",  # noqa: E501
    "Content-Length": "18",
}
NOW = 1_700_000_000


def message(headers: dict | None = None, *, body: bytes = b"", method: str = "GET", query: str | None = None, **parts):
    return Message(
        method=method,
        scheme=parts.get("scheme", "https"),
        authority=parts.get("authority", "api.example.com"),
        path=parts.get("path", "/api/v1/whoami"),
        query=query,
        headers=CaseInsensitiveDict(headers or {}),
        body=body,
    )


def signed_message(
    components: str = '"@method" "@target-uri"',
    params: str = f';created={NOW};keyid="key-1";alg="hmac-sha256";nonce="n-1"',
    *,
    key: bytes = b"secret",
    headers: dict | None = None,
    **kwargs,
) -> Message:
    """A message whose Signature-Input is given and whose Signature is computed from its base."""
    headers = {**(headers or {}), "Signature-Input": f"sig1=({components}){params}", "Signature": "sig1=:AA==:"}
    unsigned = message(headers, **kwargs)
    base = signatures.signature_base(signatures.parse_signature(unsigned), unsigned)
    value = base64.b64encode(hmac.new(key, base, hashlib.sha256).digest()).decode()
    return message({**headers, "Signature": f"sig1=:{value}:"}, **kwargs)


def test_rfc9421_hmac_example_verifies():
    msg = message(
        {
            **RFC_HEADERS,
            "Signature-Input": 'sig-b25=("date" "@authority" "content-type")'
            ';created=1618884473;keyid="test-shared-secret"',
            "Signature": "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
        },
        method="POST",
        authority="example.com",
        path="/foo",
        query="param=Value&Pet=dog",
        body=RFC_BODY,
    )
    # The RFC example has no nonce, which this API requires; build the Signature directly.
    signature = Signature(
        label="sig-b25",
        components=("date", "@authority", "content-type"),
        params='("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
        key_id="test-shared-secret",
        created=1618884473,
        expires=None,
        nonce="",
        value=base64.b64decode("pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8="),
    )

    assert signatures.signature_base(signature, msg) == (
        b'"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        b'"@authority": example.com\n'
        b'"content-type": application/json\n'
        b'"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"'
    )
    signatures.verify_signature(signature, msg, key=RFC_HMAC_KEY)


def test_signature_made_with_another_key_is_invalid():
    msg = signed_message(key=b"another secret")

    with pytest.raises(signatures.SignatureInvalid):
        signatures.verify_signature(signatures.parse_signature(msg), msg, key=b"secret")


@pytest.mark.parametrize(
    "digest",
    [
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, md5=:AAAA:",
    ],
    ids=["rfc9530-sha-512", "rfc9530-sha-256", "unsupported-member-ignored"],
)
def test_rfc9530_content_digest_matches_body(digest):
    signatures.verify_content_digest(message({"Content-Digest": digest}, body=RFC_BODY))


@pytest.mark.parametrize(
    ("digest", "error"),
    [
        ("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", signatures.DigestMismatch),
        (
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:AAAA:",
            signatures.DigestMismatch,
        ),
        ("md5=:AAAA:", signatures.SignatureMalformed),
        ('sha-256="not bytes"', signatures.SignatureMalformed),
        ("sha-256=:not base64", signatures.SignatureMalformed),
    ],
    ids=["other-body", "one-member-wrong", "no-supported-algorithm", "not-a-byte-sequence", "not-structured"],
)
def test_bad_content_digest_is_refused(digest, error):
    with pytest.raises(error):
        signatures.verify_content_digest(message({"Content-Digest": digest}, body=b'{"hello": "mallory"}'))


def test_absent_content_digest_is_not_checked():
    signatures.verify_content_digest(message(body=b""))


def test_signature_base_lists_components_then_signature_params():
    msg = signed_message(
        '"@method" "@authority" "@path" "@query" "content-digest"',
        method="POST",
        query="page=2",
        headers={"Content-Digest": "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"},
    )

    assert signatures.signature_base(signatures.parse_signature(msg), msg).decode() == (
        '"@method": POST\n'
        '"@authority": api.example.com\n'
        '"@path": /api/v1/whoami\n'
        '"@query": ?page=2\n'
        '"content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n'
        '"@signature-params": ("@method" "@authority" "@path" "@query" "content-digest")'
        f';created={NOW};keyid="key-1";alg="hmac-sha256";nonce="n-1"'
    )


@pytest.mark.parametrize(
    ("component", "value"),
    [
        ("@target-uri", "https://api.example.com/api/v1/whoami?page=2"),
        ("@scheme", "https"),
        ("@request-target", "/api/v1/whoami?page=2"),
    ],
)
def test_derived_component_values(component, value):
    assert signatures.component_value(component, message(query="page=2")) == value


def test_query_component_of_request_without_query_is_question_mark():
    assert signatures.component_value("@query", message()) == "?"


@pytest.mark.parametrize(
    ("scheme", "host", "authority"),
    [
        ("https", "API.Example.com:443", "api.example.com"),
        ("http", "api.example.com:80", "api.example.com"),
        ("https", "api.example.com:80", "api.example.com:80"),
        ("https", "api.example.com:8443", "api.example.com:8443"),
        ("http", "[::1]:80", "[::1]"),
        ("http", "[::1]", "[::1]"),
    ],
)
def test_authority_is_lowercase_without_default_port(scheme, host, authority):
    assert signatures.normalize_authority(scheme, host) == authority


def test_first_label_is_the_one_verified():
    msg = signed_message()
    headers = dict(msg.headers)
    headers["Signature-Input"] += ', other=("@method");created=1;keyid="x"'
    headers["Signature"] += ", other=:AAAA:"

    signature = signatures.parse_signature(message(headers))

    assert signature.label == "sig1"
    signatures.verify_signature(signature, message(headers), key=b"secret")


def test_parsed_signature_carries_its_parameters():
    signature = signatures.parse_signature(
        signed_message(params=f';created={NOW};expires={NOW + 60};keyid="k";nonce="n"')
    )

    assert (signature.key_id, signature.created, signature.expires, signature.nonce) == ("k", NOW, NOW + 60, "n")
    assert signature.components == ("@method", "@target-uri")


def test_missing_alg_is_accepted_because_the_key_decides():
    signature = signatures.parse_signature(signed_message(params=f';created={NOW};keyid="k";nonce="n"'))

    assert signature.key_id == "k"


def test_no_signature_fields_is_missing():
    with pytest.raises(signatures.SignatureMissing):
        signatures.parse_signature(message())


VALID_INPUT = f'sig1=("@method" "@target-uri");created={NOW};keyid="k";nonce="n"'
VALID_SIGNATURE = "sig1=:AAAA:"


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        (VALID_INPUT, None),
        (None, VALID_SIGNATURE),
        ("", VALID_SIGNATURE),
        ("sig1=(", VALID_SIGNATURE),
        ('sig1=("@method";created=1', VALID_SIGNATURE),
        ("sig1=:AAAA:", VALID_SIGNATURE),
        ('sig1="@method"', VALID_SIGNATURE),
        ("sig1=(@method)", VALID_SIGNATURE),
        (VALID_INPUT + ", sig1=()", VALID_SIGNATURE),
        (VALID_INPUT, "sig2=:AAAA:"),
        (VALID_INPUT, 'sig1="AAAA"'),
        (VALID_INPUT, "sig1=:AA AA:"),
        (VALID_INPUT, "sig1=(:AAAA:)"),
        (VALID_INPUT.replace("sig1=", "Sig1="), VALID_SIGNATURE),
        (VALID_INPUT.replace('"@target-uri"', '"@target-uri";req'), VALID_SIGNATURE),
        (VALID_INPUT.replace('"@target-uri"', '"@query-param";name="a"'), VALID_SIGNATURE),
        (VALID_INPUT.replace('"@target-uri"', '"@status"'), VALID_SIGNATURE),
        (VALID_INPUT.replace('"@target-uri"', '"Content-Type"'), VALID_SIGNATURE),
        (VALID_INPUT.replace('"@target-uri"', '"bad name"'), VALID_SIGNATURE),
        (VALID_INPUT.replace('"@target-uri"', "@target-uri"), VALID_SIGNATURE),
        (VALID_INPUT.replace('"@target-uri"', '"@method"'), VALID_SIGNATURE),
        (VALID_INPUT.replace(f"created={NOW};", ""), VALID_SIGNATURE),
        (VALID_INPUT.replace(f"created={NOW}", f'created="{NOW}"'), VALID_SIGNATURE),
        (VALID_INPUT.replace(f"created={NOW}", "created=?1"), VALID_SIGNATURE),
        (VALID_INPUT.replace(f"created={NOW}", "created=-5"), VALID_SIGNATURE),
        (VALID_INPUT.replace(f"created={NOW}", "created=1.5"), VALID_SIGNATURE),
        (VALID_INPUT + ';expires="soon"', VALID_SIGNATURE),
        (VALID_INPUT.replace('keyid="k";', ""), VALID_SIGNATURE),
        (VALID_INPUT.replace('keyid="k"', "keyid=k"), VALID_SIGNATURE),
        (VALID_INPUT.replace('keyid="k"', 'keyid=""'), VALID_SIGNATURE),
        (VALID_INPUT.replace('keyid="k"', f'keyid="{"k" * 129}"'), VALID_SIGNATURE),
        (VALID_INPUT.replace(';nonce="n"', ""), VALID_SIGNATURE),
        (VALID_INPUT.replace('nonce="n"', 'nonce=""'), VALID_SIGNATURE),
        (VALID_INPUT.replace('nonce="n"', f'nonce="{"n" * 129}"'), VALID_SIGNATURE),
        (VALID_INPUT.replace('nonce="n"', "nonce=:bm9uY2U=:"), VALID_SIGNATURE),
        (VALID_INPUT + ";alg=hmac-sha256", VALID_SIGNATURE),
        (VALID_INPUT + ';context="x"', VALID_SIGNATURE),
        (VALID_INPUT + ";tag=1", VALID_SIGNATURE),
        (VALID_INPUT + ';nonce="again"', VALID_SIGNATURE),
        (VALID_INPUT, VALID_SIGNATURE + ", sig1=:BBBB:"),
        (VALID_INPUT.replace('"@method"', '"@method";bs;bs'), VALID_SIGNATURE),
        ("sig1=" + '("a" ' * 1000, VALID_SIGNATURE),
        (VALID_INPUT, "sig1=:" + "A" * 5000 + ":"),
        (VALID_INPUT + ";é=1", VALID_SIGNATURE),
    ],
)
def test_malformed_signature_fields_are_refused(signature_input, signature):
    fields = (("Signature-Input", signature_input), ("Signature", signature))
    headers = {name: value for name, value in fields if value is not None}

    with pytest.raises(signatures.SignatureMalformed):
        signatures.parse_signature(message(headers))


@pytest.mark.parametrize("alg", ["hmac-sha512", "rsa-pss-sha512", "ed25519", "none", "HMAC-SHA256"])
def test_other_algorithms_are_unsupported(alg):
    headers = {"Signature-Input": VALID_INPUT + f';alg="{alg}"', "Signature": VALID_SIGNATURE}

    with pytest.raises(signatures.AlgorithmUnsupported):
        signatures.parse_signature(message(headers))


@pytest.mark.parametrize(
    "length",
    [10_000, 1_000_000],
    ids=["10-kB", "1-MB"],
)
def test_absurdly_long_fields_are_refused_before_parsing(length, monkeypatch):
    headers = {"Signature-Input": "sig1=(" + '"a" ' * (length // 4) + ")", "Signature": "sig1=:" + "A" * length + ":"}
    parsed = []
    monkeypatch.setattr(signatures.http_sf, "parse", lambda *args, **kwargs: parsed.append(1))

    with pytest.raises(signatures.SignatureMalformed, match="longer than 4096"):
        signatures.parse_signature(message(headers))

    assert parsed == []  # refused on length alone: the structured-field parser never ran


@pytest.mark.parametrize(
    ("components", "kwargs"),
    [
        ('"@method" "@target-uri"', {}),
        ('"@method" "@authority" "@path"', {}),
        ('"@method" "@authority" "@path" "@query"', {"query": "a=1"}),
        ('"@method" "@target-uri"', {"query": "a=1"}),
        (
            '"@method" "@target-uri" "content-digest"',
            {"body": b"{}", "headers": {"Content-Digest": "sha-256=:RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=:"}},
        ),
        ('"@method" "@target-uri" "authorization"', {"headers": {"Authorization": "Bearer t"}}),
    ],
    ids=["target-uri", "authority-and-path", "with-query", "target-uri-has-query", "body", "authorization"],
)
def test_required_coverage_is_accepted(components, kwargs):
    msg = signed_message(components, **kwargs)

    signatures.check_coverage(signatures.parse_signature(msg), msg)


@pytest.mark.parametrize(
    ("components", "kwargs", "missing"),
    [
        ('"@method"', {}, "@target-uri"),
        ('"@target-uri"', {}, "@method"),
        ('"@method" "@authority"', {}, "@path"),
        ('"@method" "@path"', {}, "@authority"),
        ('"@method" "@authority" "@path"', {"query": "a=1"}, "@query"),
        ('"@method" "@target-uri"', {"body": b"{}"}, "content-digest"),
        ('"@method" "@target-uri"', {"headers": {"Authorization": "Bearer t"}}, "authorization"),
    ],
    ids=["only-method", "no-method", "no-path", "no-authority", "no-query", "body-not-digested", "authorization"],
)
def test_insufficient_coverage_is_incomplete(components, kwargs, missing):
    headers = {"Signature-Input": f'sig1=({components});created={NOW};keyid="k";nonce="n"', "Signature": "sig1=:AA==:"}
    msg = message({**headers, **kwargs.pop("headers", {})}, **kwargs)

    with pytest.raises(signatures.SignatureIncomplete, match=missing):
        signatures.check_coverage(signatures.parse_signature(msg), msg)


def test_covered_digest_without_digest_field_is_incomplete():
    headers = {"Signature-Input": f'sig1=("@method" "@target-uri" "content-digest");created={NOW};keyid="k";nonce="n"'}
    msg = message({**headers, "Signature": "sig1=:AA==:"}, body=b"{}")

    with pytest.raises(signatures.SignatureIncomplete, match="Content-Digest"):
        signatures.check_coverage(signatures.parse_signature(msg), msg)


def test_covered_field_absent_from_request_is_malformed():
    headers = {"Signature-Input": f'sig1=("@method" "@target-uri" "x-request-id");created={NOW};keyid="k";nonce="n"'}
    msg = message({**headers, "Signature": "sig1=:AA==:"})

    with pytest.raises(signatures.SignatureMalformed, match="x-request-id"):
        signatures.signature_base(signatures.parse_signature(msg), msg)


def _note_message(value: str) -> Message:
    headers = {"Signature-Input": f'sig1=("@method" "x-note");created={NOW};keyid="k";nonce="n"', "X-Note": value}
    return message({**headers, "Signature": "sig1=:AA==:"})


def test_covered_field_value_is_trimmed_and_keeps_inner_tabs():
    msg = _note_message("  tab\there ")

    base = signatures.signature_base(signatures.parse_signature(msg), msg)

    assert base.startswith(b'"@method": GET\n"x-note": tab\there\n')


def test_covered_non_ascii_field_value_is_malformed():
    msg = _note_message("caf\u00e9")

    with pytest.raises(signatures.SignatureMalformed):
        signatures.signature_base(signatures.parse_signature(msg), msg)


@pytest.mark.parametrize(
    ("created", "expires", "error"),
    [
        (NOW, None, None),
        (NOW - 300, None, None),
        (NOW + 300, None, None),
        (NOW - 301, None, signatures.SignatureExpired),
        (NOW + 301, None, signatures.SignatureNotYetValid),
        (NOW, NOW, None),
        (NOW - 10, NOW - 1, signatures.SignatureExpired),
    ],
    ids=["now", "oldest", "newest", "too-old", "in-the-future", "expires-now", "expired"],
)
def test_freshness_window(created, expires, error):
    signature = Signature(
        label="s", components=(), params="()", key_id="k", created=created, expires=expires, nonce="n", value=b""
    )

    if error is None:
        signatures.check_freshness(signature, now=NOW, max_skew=300)
    else:
        with pytest.raises(error):
            signatures.check_freshness(signature, now=NOW, max_skew=300)


def test_worked_example_of_the_docs_verifies():
    """docs/request-signing.md, "Worked example": the base and the signature shown there are right."""
    body = b'{"item": "book", "quantity": 1, "unit_price": "9.90"}'
    msg = message(
        {
            "Authorization": "Token 3q2-7Gx0aXN0ZW5pbmctdG8tZG9jcw",
            "Content-Type": "application/json",
            "Content-Digest": "sha-256=:ycTvLjIhoSy1aBa7ky1geTYRtMCtbff6srX/qmc+z4w=:",
            "Signature-Input": 'sig1=("@method" "@target-uri" "authorization" "content-type" "content-digest")'
            ';created=1767225600;keyid="kq3VNXr0yL2qH7dZ8mW1c9Ae4TbFhG6s";alg="hmac-sha256"'
            ';nonce="b3k1xPzN6v0QyJc2LrT8eA"',
            "Signature": "sig1=:rilUbcq4TgZ0xNSu/3urFZ9Pq0WOZxW3WNh1ct0BFSc=:",
        },
        method="POST",
        path="/api/v1/purchases/",
        body=body,
    )
    signature = signatures.parse_signature(msg)

    signatures.check_coverage(signature, msg)
    assert signatures.signature_base(signature, msg).decode().splitlines()[:2] == [
        '"@method": POST',
        '"@target-uri": https://api.example.com/api/v1/purchases/',
    ]
    signatures.verify_signature(signature, msg, key=b"Zm9yLWRvY3Mtb25seS1ub3QtYS1yZWFsLXNlY3JldC0xMjM0NTY")
    signatures.verify_content_digest(msg)
