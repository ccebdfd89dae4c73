"""OAuth2 tokens and codes of one user: revoked at once, and never rotated past a revocation.

django-oauth-toolkit locks the refresh token row while it rotates, but nothing in its
revocations (`RefreshToken.revoke_family`, a bulk revoke) waits for a rotation in flight: under
READ COMMITTED the revoking UPDATE does not see the successor that the rotation is inserting,
so that successor survives. Here both take the user's row lock first (selectors.user_lock),
as the JWT refresh tokens of accounts.services.refresh_tokens do.
"""

import hashlib

from django.db import transaction
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from accounts.models import User
from accounts.selectors import user_lock


class GrantNoLongerValid(errors.InvalidGrantError):
    """`invalid_grant` found while the tokens are written: a JSON body like every token error.

    oauthlib gives an error raised at that stage (save_token) no headers but WWW-Authenticate,
    so the response would go out as text/html; RFC 6749 §5.2 wants application/json, no-store.
    """

    @property
    def headers(self) -> dict[str, str]:
        json_headers = {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}
        return {**json_headers, **super().headers}


def refresh_token_user_id(refresh_token: str) -> int | None:
    """Return the id of the user a presented refresh token was issued to, or None if unknown."""
    checksum = hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()  # the toolkit's token_checksum
    return get_refresh_token_model().objects.filter(token_checksum=checksum).values_list("user_id", flat=True).first()


def token_request_still_valid(request: OAuthlibRequest, *, user: User | None) -> bool:
    """Return whether the grant validated earlier in this token request may still be spent.

    Called under the user's row lock, just before the toolkit writes the new tokens: the user
    must still exist and be active, an authorization code must not have been deleted by a
    revocation, and a refresh token must not have been rotated or revoked in the meantime.
    """
    if user is None or not user.is_active:
        return False
    if request.grant_type == "authorization_code":
        return get_grant_model().objects.filter(code=request.code, application=request.client).exists()
    if request.grant_type == "refresh_token":
        presented = request.refresh_token_instance
        return get_refresh_token_model().objects.filter(pk=presented.pk, revoked__isnull=True).exists()
    return True


@transaction.atomic
def oauth2_tokens_revoke_for_user(*, user: User) -> int:
    """Revoke every OAuth2 refresh token of the user and delete their access tokens and codes.

    Returns how many refresh tokens were revoked. Authorization codes not yet exchanged go too,
    so none issued before this moment yields a token. Access tokens are JWTs checked by
    signature: deleting their rows makes /o/introspect/ answer inactive at once, and
    OAuth2Authentication stops a deactivated or deleted user's at once; otherwise they run out
    within their 5 minutes.
    """
    user_lock(user_id=user.pk)
    refresh_token_model = get_refresh_token_model()
    live = refresh_token_model.objects.filter(user=user, revoked__isnull=True)
    revoked = live.count()
    for family in set(live.exclude(token_family=None).values_list("token_family", flat=True)):
        refresh_token_model.revoke_family(family)  # the toolkit's set-based revocation
    for refresh_token in live:  # tokens without a family (issued before reuse protection)
        refresh_token.revoke()
    get_access_token_model().objects.filter(user=user).delete()
    get_grant_model().objects.filter(user=user).delete()
    return revoked
