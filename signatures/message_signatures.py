"""RFC 9421 HTTP Message Signatures with HMAC-SHA256: parse, check policy, rebuild and verify.

Pure functions over a `Message` (no Django, no DRF), in the order a verifier runs them
(RFC 9421 §3.2):

1. `parse_signature`: read `Signature-Input` and `Signature` as Structured Fields (RFC 8941,
   parsed by the `http_sf` library) and check the signature parameters.
2. `check_coverage`: the components this API requires the signer to cover (API.md §3).
3. `check_freshness`: `created` within the allowed clock skew, `expires` not passed.
4. `verify_signature`: rebuild the signature base and compare HMACs in constant time.
5. `verify_content_digest`: the body matches its `Content-Digest` (RFC 9530).

The caller looks the key up between steps 3 and 4, and checks the nonce (replay) last, so that
neither a forged nor a stale request can use up a nonce.
"""

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

import http_sf
from http_sf.innerlist import ser_innerlist

from signatures import jwe as jose

ALGORITHM = "hmac-sha256"

# Bounds checked before any parsing, so hostile input costs little and never reaches a slow path.
MAX_FIELD_BYTES = 4096  # Signature-Input, Signature, Content-Digest
MAX_KEY_ID_LENGTH = 128
MAX_NONCE_LENGTH = 128

# RFC 9421 §2.3: the parameters defined for a signature. Unknown ones are refused: every
# parameter is signed, and one this verifier does not understand may change what was meant.
SIGNATURE_PARAMETERS = frozenset({"alg", "created", "expires", "keyid", "nonce", "tag"})

# RFC 9421 §2.2: the derived components of a request this verifier can rebuild.
DERIVED_COMPONENTS = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)
# RFC 9110 §5.1: a field name is a token; RFC 9421 §2.1 requires it lowercased.
FIELD_NAME = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")

# RFC 9530 §5: the digest algorithms accepted; others (md5, sha) are insecure and ignored.
DIGEST_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
DEFAULT_PORTS = {"http": "80", "https": "443"}


class SignatureError(Exception):
    """A signature that cannot be accepted; `code` is the API's machine-readable reason."""

    code = "signature_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SignatureMissing(SignatureError):
    code = "signature_missing"


class SignatureMalformed(SignatureError):
    code = "signature_malformed"


class SignatureIncomplete(SignatureError):
    code = "signature_incomplete"


class AlgorithmUnsupported(SignatureError):
    code = "signature_algorithm_unsupported"


class SignatureExpired(SignatureError):
    code = "signature_expired"


class SignatureNotYetValid(SignatureError):
    code = "signature_not_yet_valid"


class SignatureInvalid(SignatureError):
    code = "signature_invalid"


class DigestMismatch(SignatureError):
    code = "digest_mismatch"


@dataclass(frozen=True, slots=True)
class Message:
    """The parts of an HTTP request that a signature can cover.

    `authority` is the host as the client addressed it (after a trusted proxy's
    X-Forwarded-Host), lowercased and without the scheme's default port; `path` is
    percent-encoded; `query` is None when the target has no query string. `headers` must be a
    case-insensitive mapping of field name to (combined) value.
    """

    method: str
    scheme: str
    authority: str
    path: str
    query: str | None
    headers: Mapping[str, str]
    body: bytes

    @property
    def target_uri(self) -> str:
        return f"{self.scheme}://{self.authority}{self.request_target}"

    @property
    def request_target(self) -> str:
        return self.path if self.query is None else f"{self.path}?{self.query}"


@dataclass(frozen=True, slots=True)
class Signature:
    """One parsed signature: what it covers, its parameters and its bytes."""

    label: str
    components: tuple[str, ...]
    params: str  # the serialized inner list: the value of "@signature-params"
    key_id: str
    created: int
    expires: int | None
    nonce: str
    value: bytes


def normalize_authority(scheme: str, host: str) -> str:
    """Return `host[:port]` as RFC 9421 §2.2.3 wants it: lowercase, default port omitted."""
    host = host.lower()
    name, sep, port = host.rpartition(":")  # "[::1]" has no port: its last part is "1]"
    if sep and port == DEFAULT_PORTS.get(scheme.lower()):
        return name
    return host


def _field(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None and len(value) > MAX_FIELD_BYTES:
        raise SignatureMalformed(f"{name} is longer than {MAX_FIELD_BYTES} bytes.")
    return value


def _parse_dictionary(name: str, value: str) -> dict:
    def refuse_duplicate(key: str, context: str) -> None:
        # RFC 8941 lets the last duplicate win; a verifier and a proxy that disagree on which
        # one counts is how signature confusion starts, so a duplicate is refused outright.
        raise SignatureMalformed(f'{name} repeats "{key}".')

    try:
        parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary", on_duplicate_key=refuse_duplicate)
    except (UnicodeEncodeError, ValueError) as exc:  # StructuredFieldError is a ValueError
        raise SignatureMalformed(f"{name} is not a valid Structured Field Dictionary.") from exc
    if not parsed:
        raise SignatureMalformed(f"{name} is empty.")
    return parsed


def parse_signature(message: Message) -> Signature:
    """Return the request's signature (the first label of Signature-Input), its syntax checked.

    Any label is accepted; when several signatures are present, the first one is verified and
    the others are ignored (the policy checks below apply to that one).
    """
    input_field = _field(message.headers, "Signature-Input")
    signature_field = _field(message.headers, "Signature")
    if input_field is None and signature_field is None:
        raise SignatureMissing("The request is not signed.")
    if input_field is None or signature_field is None:
        raise SignatureMalformed("Signature-Input and Signature must be sent together.")
    inputs = _parse_dictionary("Signature-Input", input_field)
    values = _parse_dictionary("Signature", signature_field)

    # http_sf returns every Dictionary member as a (value, parameters) pair.
    label, member = next(iter(inputs.items()))
    if label not in values:
        raise SignatureMalformed(f'Signature has no member "{label}".')
    items, params = member
    if not isinstance(items, list):
        raise SignatureMalformed(f'Signature-Input member "{label}" must be an Inner List.')
    value, _ = values[label]
    if not isinstance(value, bytes):
        raise SignatureMalformed(f'Signature member "{label}" must be a Byte Sequence.')

    _check_params(params)
    return Signature(
        label=label,
        components=_component_names(items),
        params=ser_innerlist(member),
        key_id=_string_param(params, "keyid", required=True, max_length=MAX_KEY_ID_LENGTH),
        created=_integer_param(params, "created", required=True),
        expires=_integer_param(params, "expires", required=False),
        nonce=_string_param(params, "nonce", required=True, max_length=MAX_NONCE_LENGTH),
        value=value,
    )


def _check_params(params: dict) -> None:
    unknown = sorted(set(params) - SIGNATURE_PARAMETERS)
    if unknown:
        raise SignatureMalformed(f"Unknown signature parameter: {unknown[0]}.")
    alg = _string_param(params, "alg", required=False, max_length=64)
    # RFC 9421 §3.2: the key determines the algorithm; a stated one must agree with it.
    # Omitting alg is allowed (the key id names an HMAC secret), stating another one is not.
    if alg is not None and alg != ALGORITHM:
        raise AlgorithmUnsupported(f'Only alg="{ALGORITHM}" is supported.')
    _string_param(params, "tag", required=False, max_length=MAX_NONCE_LENGTH)


def _component_names(items: list) -> tuple[str, ...]:
    names: list[str] = []
    for name, item_params in items:
        if not isinstance(name, str):
            raise SignatureMalformed("Covered components must be Strings.")
        if item_params:
            raise SignatureMalformed(f'Component parameters are not supported ("{name}").')
        if name.startswith("@"):
            if name not in DERIVED_COMPONENTS:
                raise SignatureMalformed(f'Unsupported derived component "{name}".')
        elif not FIELD_NAME.fullmatch(name):
            raise SignatureMalformed(f'"{name}" is not a lowercase field name.')
        if name in names:
            raise SignatureMalformed(f'Component "{name}" is covered twice.')
        names.append(name)
    return tuple(names)


def _string_param(params: dict, name: str, *, required: bool, max_length: int) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise SignatureMalformed(f'The signature parameter "{name}" is required.')
        return None
    if not isinstance(value, str) or not value:
        raise SignatureMalformed(f'The signature parameter "{name}" must be a non-empty String.')
    if len(value) > max_length:
        raise SignatureMalformed(f'The signature parameter "{name}" is longer than {max_length} characters.')
    return value


def _integer_param(params: dict, name: str, *, required: bool) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            raise SignatureMalformed(f'The signature parameter "{name}" is required.')
        return None
    if type(value) is not int or value < 0:  # a Boolean is an int to Python, not to RFC 8941
        raise SignatureMalformed(f'The signature parameter "{name}" must be a non-negative Integer.')
    return value


def check_coverage(signature: Signature, message: Message) -> None:
    """Require the components that bind the signature to this request (API.md §3).

    Without "@method" and the target a signature could be moved to another route; without
    "content-digest" the body could be swapped; without "authorization" a signed app request
    could carry someone else's user credential; without "accept" a request that asks for an
    encrypted response (Accept: application/jose) could be downgraded to a plain one.
    """
    covered = set(signature.components)
    missing: list[str] = []
    if "@method" not in covered:
        missing.append('"@method"')
    if "@target-uri" not in covered:
        if not {"@authority", "@path"} <= covered:
            missing.append('"@target-uri" (or "@authority" and "@path")')
        elif message.query is not None and "@query" not in covered:
            missing.append('"@query"')
    if message.body and "content-digest" not in covered:
        missing.append('"content-digest"')
    if "authorization" in message.headers and "authorization" not in covered:
        missing.append('"authorization"')
    if asks_for_jose(message.headers.get("accept", "")) and "accept" not in covered:
        # An intermediary that rewrites an uncovered Accept turns the encrypted answer the
        # client asked for into plain JSON: a downgrade the client may never notice.
        missing.append('"accept"')
    if missing:
        raise SignatureIncomplete(f"The signature must also cover {', '.join(missing)}.")
    if message.body and "content-digest" not in message.headers:
        raise SignatureIncomplete("A request with a body must carry Content-Digest.")


def asks_for_jose(accept: str) -> bool:
    """Return whether an Accept header names application/jose (an encrypted response, API.md §3)."""
    for media_range in accept.split(","):
        media_type = media_range.split(";", 1)[0].strip().lower()
        if media_type == jose.MEDIA_TYPE:
            return True
    return False


def check_freshness(signature: Signature, *, now: float, max_skew: int) -> None:
    """Refuse signatures created outside `now ± max_skew` seconds, or past their `expires`.

    The window bounds how long the server must remember nonces and absorbs clock drift
    between client and server; `expires` is the signer's own, stricter limit.
    """
    if signature.created > now + max_skew:
        raise SignatureNotYetValid("The signature was created in the future (check the client's clock).")
    if signature.created < now - max_skew:
        raise SignatureExpired("The signature was created too long ago.")
    if signature.expires is not None and signature.expires < now:
        raise SignatureExpired("The signature has expired.")


def component_value(name: str, message: Message) -> str:
    """Return the value of one covered component (RFC 9421 §2.1 fields, §2.2 derived)."""
    match name:
        case "@method":
            return message.method
        case "@target-uri":
            return message.target_uri
        case "@authority":
            return message.authority
        case "@scheme":
            return message.scheme
        case "@request-target":
            return message.request_target
        case "@path":
            return message.path or "/"
        case "@query":
            return f"?{message.query or ''}"
    value = message.headers.get(name)
    if value is None:
        raise SignatureMalformed(f'The covered field "{name}" is not in the request.')
    return value.strip()


def signature_base(signature: Signature, message: Message) -> bytes:
    """Return the bytes the signer signed (RFC 9421 §2.5): one line per component, then params."""
    lines = [f'"{name}": {component_value(name, message)}' for name in signature.components]
    lines.append(f'"@signature-params": {signature.params}')
    base = "\n".join(lines)
    # RFC 9421 §2.5: the base is ASCII and a component value never spans lines.
    if not base.isascii() or "\r" in base or base.count("\n") != len(lines) - 1:
        raise SignatureMalformed("A covered component has a value that cannot be signed.")
    return base.encode("ascii")


def verify_signature(signature: Signature, message: Message, *, key: bytes) -> None:
    """Raise SignatureInvalid unless HMAC-SHA256(key, signature base) equals the signature."""
    expected = hmac.new(key, signature_base(signature, message), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature.value):
        raise SignatureInvalid("Invalid signature.")


def verify_content_digest(message: Message) -> None:
    """Check Content-Digest, when present, against the raw body (RFC 9530).

    Every sha-256 and sha-512 member must match; other algorithms are ignored, and a field
    with neither is refused.
    """
    field = _field(message.headers, "Content-Digest")
    if field is None:
        return
    digests = _parse_dictionary("Content-Digest", field)
    checked = 0
    for algorithm, (value, _) in digests.items():
        if algorithm not in DIGEST_ALGORITHMS:
            continue
        if not isinstance(value, bytes):
            raise SignatureMalformed(f"Content-Digest {algorithm} must be a Byte Sequence.")
        if not hmac.compare_digest(value, DIGEST_ALGORITHMS[algorithm](message.body).digest()):
            raise DigestMismatch("The body does not match its Content-Digest.")
        checked += 1
    if not checked:
        raise SignatureMalformed("Content-Digest needs a sha-256 or sha-512 member.")
