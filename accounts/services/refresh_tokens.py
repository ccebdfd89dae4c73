"""Writes for JWT logins: issue, rotate (with reuse detection), revoke and purge refresh tokens.

simplejwt leaves four holes that this module closes:

1. Its OutstandingToken table stores each refresh token in the clear; RefreshTokenRecord keeps
   the jti, the family and a SHA-256 digest, none of which can be presented as a token.
2. Its rotation reads "is this token blacklisted?" and then writes, so two concurrent refreshes
   of one token can both pass the read. Here one conditional UPDATE (`... WHERE used_at IS
   NULL`) is both the check and the write: the database lets exactly one of them match.
3. It has no reuse detection: a refresh token presented after it was rotated (by a thief, or by
   the user after a thief) revokes the whole family, the login, and writes an audit event
   (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
4. It binds no token to the app that obtained it; every token here carries `client_id`.
"""

import hmac
import uuid
from datetime import datetime
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError

from accounts import jwt_codec
from accounts.crypto import token_digest
from accounts.models import RefreshTokenRecord, User
from accounts.selectors import user_lock
from accounts.tokens import AccessToken, InvalidToken, RefreshToken
from audit.models import AuditEvent
from audit.services import audit_event_record
from clients.exceptions import ClientMismatch
from dpop.binding import cnf_claims, refresh_binding_check
from transport.client_cert import THUMBPRINT_CLAIM, certificate_binding_holds, cnf_thumbprint

PURGE_BATCH_SIZE = 5_000


class TokenPair(NamedTuple):
    access: str
    refresh: str


def _token_pair_issue(
    *, user: User, client_id: str, family_id: uuid.UUID, jkt: str | None = None, x5t: str | None = None
) -> tuple[TokenPair, RefreshTokenRecord]:
    refresh = RefreshToken.for_app_user(user, client_id=client_id)
    access = AccessToken.for_app_user(user, client_id=client_id)
    for token in (refresh, access):
        token.payload.update(cnf_claims(jkt))  # DPoP (RFC 9449 §6.1): both bound to the proof's key
        if x5t:  # mutual TLS (RFC 8705 §3.1): both bound to the client certificate
            token.payload.setdefault("cnf", {})[THUMBPRINT_CLAIM] = x5t
    refresh_token = str(refresh)
    record = RefreshTokenRecord.objects.create(
        jti=refresh["jti"],
        family_id=family_id,
        user=user,
        client_id=client_id,
        token_digest=token_digest(refresh_token),
        issued_at=refresh.current_time,
        expires_at=refresh.current_time + refresh.lifetime,
    )
    return TokenPair(access=str(access), refresh=refresh_token), record


def token_pair_obtain(*, user: User, client_id: str, jkt: str | None = None, x5t: str | None = None) -> TokenPair:
    """Start a JWT login for a user who has just proven their password: a new token family.

    With `jkt` (a DPoP key's thumbprint) both tokens are bound to that key; with `x5t` (the
    request's client certificate thumbprint, RFC 8705 §3) to that certificate.
    """
    pair, _ = _token_pair_issue(user=user, client_id=client_id, family_id=uuid.uuid4(), jkt=jkt, x5t=x5t)
    return pair


def _refresh_token_claims(refresh: str, *, client_id: str) -> RefreshToken:
    try:
        token = RefreshToken(refresh)  # signature, kid, iss, aud, exp, type: accounts.jwt_codec
    except (TokenError, jwt_codec.TokenInvalid) as exc:
        raise InvalidToken() from exc
    if token["client_id"] != client_id:
        raise ClientMismatch()
    return token


def refresh_token_rotate(
    *, refresh: str, client_id: str, request: HttpRequest | None = None, jkt: str | None = None
) -> TokenPair:
    """Exchange a live refresh token for a new pair; the presented token is dead from then on.

    Presenting a token that was already exchanged is reuse: the whole family is revoked, an
    audit event is written, and the caller gets 401 like any other dead token. A DPoP-bound
    refresh token needs `jkt`, the thumbprint of this request's proof, to be its key (checked
    before the token is spent); the new pair is bound to `jkt`.
    """
    token = _refresh_token_claims(refresh, client_id=client_id)
    refresh_binding_check(token.payload, jkt=jkt)
    # RFC 8705 §3: a certificate-bound refresh token refreshes only over mutual TLS with it,
    # checked before the token is spent, so a thief without the certificate burns nothing.
    x5t = cnf_thumbprint(token.payload)
    if not certificate_binding_holds(x5t, request.META if request is not None else None):
        raise InvalidToken()
    jti, digest, now = token["jti"], token_digest(refresh), timezone.now()
    user_id = RefreshTokenRecord.objects.filter(jti=jti).values_list("user_id", flat=True).first()
    if user_id is None:
        raise InvalidToken()  # purged, or never issued by this server

    with transaction.atomic():
        # First the user's row lock, which every revocation takes too (selectors.user_lock):
        # a logout-all, password change or reuse detection either finished before this line,
        # and the UPDATE below sees its revoked_at, or waits until this successor is committed
        # and then revokes it as well.
        user = user_lock(user_id=user_id)
        # The check and the write are one statement: of N concurrent refreshes exactly one
        # sees `1` (the others wait on the lock above, then find used_at set).
        won = RefreshTokenRecord.objects.filter(
            jti=jti, token_digest=digest, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if won:
            record = RefreshTokenRecord.objects.get(jti=jti)
            if user is not None and user.is_active:
                pair, successor = _token_pair_issue(
                    user=user, client_id=record.client_id, family_id=record.family_id, jkt=jkt, x5t=x5t
                )
                RefreshTokenRecord.objects.filter(pk=record.pk).update(replaced_by=successor)
                return pair
            # A deactivated user's logins end at their next refresh.
            refresh_token_family_revoke(family_id=record.family_id)
    if won:
        raise InvalidToken()

    record = RefreshTokenRecord.objects.select_related("user").filter(jti=jti).first()
    if record is None or not hmac.compare_digest(record.token_digest, digest):
        raise InvalidToken()  # purged, or never issued by this server with this digest
    if record.used_at is not None:
        revoked = refresh_token_family_revoke(family_id=record.family_id)
        audit_event_record(
            kind=AuditEvent.Kind.REFRESH_REUSED,
            request=request,
            user=record.user,
            client_id=client_id,
            family_id=str(record.family_id),
            revoked=revoked,
        )
    raise InvalidToken()  # reused, revoked or expired: all read the same


@transaction.atomic
def refresh_token_family_revoke(*, family_id: uuid.UUID) -> int:
    """Revoke every live refresh token of one login; return how many were revoked.

    Under the user's row lock, like rotation: a member being rotated at this moment is
    committed first and then revoked with the others.
    """
    user_id = RefreshTokenRecord.objects.filter(family_id=family_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return 0
    user_lock(user_id=user_id)
    return RefreshTokenRecord.objects.filter(family_id=family_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def refresh_token_revoke(*, refresh: str, client_id: str) -> int:
    """End the login a refresh token belongs to (RFC 7009); return how many tokens were revoked.

    An invalid, expired or unknown token revokes nothing and is not an error (RFC 7009 §2.2),
    so the endpoint reveals nothing about tokens; another app's token is refused.
    """
    try:
        token = _refresh_token_claims(refresh, client_id=client_id)
    except InvalidToken:
        return 0
    record = RefreshTokenRecord.objects.filter(jti=token["jti"]).only("family_id", "token_digest").first()
    if record is None or not hmac.compare_digest(record.token_digest, token_digest(refresh)):
        return 0
    return refresh_token_family_revoke(family_id=record.family_id)


@transaction.atomic
def refresh_tokens_revoke_for_user(*, user: User) -> int:
    """Revoke every refresh token of the user, on every app; return the count.

    Under the user's row lock, so a rotation in flight is revoked too. Access tokens already
    issued stay valid until they expire (JWT_ACCESS_TOKEN_LIFETIME) unless the user is
    deactivated or deleted (JWTAuthentication reads the user). See docs/jwt_codec.md.
    """
    user_lock(user_id=user.pk)
    return RefreshTokenRecord.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_verify(*, token: str, client_id: str) -> dict[str, Any]:
    """Return the claims of a valid access token or live refresh token of this app, or raise.

    An access token is checked as every request checks it, by signature and claims; a refresh
    token must also be live in the database. Anonymous signup tokens are not verified here.
    """
    token_type = jwt_codec.unverified_token_type(token)
    if token_type == RefreshToken.token_type:
        claims = _refresh_token_claims(token, client_id=client_id).payload
        live = RefreshTokenRecord.objects.filter(
            jti=claims["jti"],
            token_digest=token_digest(token),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).exists()
        if not live:
            raise InvalidToken()
        return claims
    if token_type != AccessToken.token_type:
        raise InvalidToken()
    try:
        claims = jwt_codec.jwt_decode(token, token_type=AccessToken.token_type)
    except jwt_codec.TokenInvalid as exc:
        raise InvalidToken() from exc
    if claims["client_id"] != client_id:
        raise ClientMismatch()
    return claims


def refresh_tokens_purge(*, now: datetime | None = None) -> int:
    """Delete the records of expired refresh tokens; return how many were deleted.

    An expired token is refused by its `exp` claim alone, so its record has no more use.
    """
    now = timezone.now() if now is None else now
    return rows_delete_in_batches(RefreshTokenRecord.objects.filter(expires_at__lt=now))


def rows_delete_in_batches(rows: QuerySet) -> int:
    """Delete the rows of a queryset PURGE_BATCH_SIZE at a time; return how many were deleted.

    Batches keep each transaction short, so a large backlog never holds one long lock.
    """
    deleted = 0
    while batch := list(rows.values_list("pk", flat=True)[:PURGE_BATCH_SIZE]):
        deleted += rows.model.objects.filter(pk__in=batch).delete()[0]
    return deleted
