"""Writes of the signup app: anonymous tokens for solved captchas, and new people."""

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from rest_framework import exceptions, status

from accounts.jwt_codec import jwt_claims, jwt_encode
from accounts.models import User
from apiproject.counters import CACHE_ERRORS
from audit.models import AuditEvent
from audit.services import audit_event_record
from clients.models import ApiClient
from dpop.binding import cnf_claims
from signup.authentication import TOKEN_TYPE
from signup.captcha.base import CaptchaInvalid, get_captcha_backend
from signup.exceptions import InvalidAnonymousToken
from signup.selectors import TokenStoreUnavailable, consumed_token_key, person_exists

logger = logging.getLogger(__name__)

SIGNUP_SCOPE = "signup"


class DuplicatePerson(exceptions.APIException):
    # Says no more than find-person would: that someone has this username or e-mail address.
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A person with this username or e-mail address already exists."
    default_code = "duplicate"


class AttestationRequired(exceptions.AuthenticationFailed):
    default_detail = "This app starts signups with a client attestation, not a captcha."
    default_code = "attestation_required"


def anonymous_token_issue(
    *, client_id: str, proof: str = ApiClient.SignupProof.CAPTCHA, jkt: str | None = None
) -> tuple[str, int]:
    """Issue an anonymous signup token for the app; return (token, lifetime in seconds).

    Signed like the user tokens (accounts.jwt_codec), with `sub` "anon:<uuid>", `token_type`
    "anonymous", `scope` "signup", the app's `client_id` and `signup_proof`, the proof that
    bought it ("captcha" or "attestation"), so that limits and audit can tell them apart; it
    lives at most ten minutes. With `jkt` it is bound to that DPoP key (`cnf.jkt`, API.md §12).
    """
    lifetime = settings.SIGNUP_ANONYMOUS_TOKEN_SECONDS
    claims = jwt_claims(
        sub=f"anon:{uuid.uuid4()}",
        token_type=TOKEN_TYPE,
        client_id=client_id,
        lifetime=timedelta(seconds=lifetime),
        scope=SIGNUP_SCOPE,
        signup_proof=str(proof),
        **cnf_claims(jkt),
    )
    return jwt_encode(claims), lifetime


def signup_session_start(
    *,
    captcha: str | None,
    client_id: str,
    remote_ip: str | None,
    attested: bool = False,
    policy: str = ApiClient.SignupProof.CAPTCHA,
    jkt: str | None = None,
) -> tuple[str, int]:
    """Accept the app's signup proof, then issue an anonymous token; return (token, lifetime).

    `policy` is the app's ApiClient.signup_proof. A request identified by a client attestation
    (`attested`: a genuine instance of the app, API.md §13) needs no captcha when the policy
    admits attestation; otherwise the captcha answer is accepted once, and an app whose policy
    is attestation alone gets 401 without one. With `jkt` the token is bound to that DPoP key.
    """
    proof = ApiClient.SignupProof
    if attested and policy in (proof.ATTESTATION, proof.EITHER):
        return anonymous_token_issue(client_id=client_id, proof=proof.ATTESTATION, jkt=jkt)
    if policy == proof.ATTESTATION:
        raise AttestationRequired()
    if captcha is None:
        raise CaptchaInvalid()
    get_captcha_backend().verify(captcha, remote_ip=remote_ip)
    return anonymous_token_issue(client_id=client_id, proof=proof.CAPTCHA, jkt=jkt)


def anonymous_token_consume(*, claims: dict) -> None:
    """Spend the anonymous token once, across every worker, or raise 401.

    One atomic `add` on the shared cache (Redis: SET NX EX) both checks and marks: of two
    requests racing with one token, exactly one wins. The mark outlives the token, after which
    jwt_decode refuses it anyway. If the store cannot be reached the token is refused (503).
    """
    remaining = int(claims["exp"] - time.time()) + 1
    try:
        first_use = caches["default"].add(consumed_token_key(claims["jti"]), 1, timeout=max(1, remaining))
    except CACHE_ERRORS as exc:
        logger.warning("signup token store unavailable: %s", type(exc).__name__)
        raise TokenStoreUnavailable() from exc
    if not first_use:
        raise InvalidAnonymousToken()


def anonymous_token_release(*, claims: dict) -> None:
    """Hand back a token spent on a creation that did not happen (best effort)."""
    try:
        caches["default"].delete(consumed_token_key(claims["jti"]))
    except CACHE_ERRORS as exc:
        # The token stays spent: the person solves another captcha. Failing closed costs that.
        logger.warning("signup token store unavailable: %s", type(exc).__name__)


def person_create(*, username: str, email: str, password: str, token_claims: dict, request=None) -> User:
    """Create a person with the anonymous token `token_claims`, spending it; return the user.

    The order is what makes one token create at most one person:

    1. The caller has validated the input, password validators included: a typo costs nothing.
    2. A duplicate is refused (409) before the token is spent, so the person can pick another
       name with the same token. This answer reveals existence, so the view counts it against
       the same budgets as find-person.
    3. The token is spent atomically (anonymous_token_consume): a concurrent request with the
       same token gets 401 from here on.
    4. The user is created. If the database refuses it (another request took the username
       between 2 and 4: it is unique in the database), the token is handed back and the answer
       is 409, as in step 2.
    """
    email = User.objects.normalize_email(email)
    if person_exists(username=username, email=email):
        raise DuplicatePerson()
    anonymous_token_consume(claims=token_claims)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            audit_event_record(
                kind=AuditEvent.Kind.PERSON_CREATED,
                request=request,
                user=user,
                client_id=token_claims["client_id"],
                anonymous_sub=token_claims["sub"],
            )
    except IntegrityError as exc:
        anonymous_token_release(claims=token_claims)
        raise DuplicatePerson() from exc
    return user
