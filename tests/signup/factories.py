"""Anonymous tokens minted directly, genuine or subtly wrong, without solving a captcha."""

from datetime import timedelta

from accounts.jwt_codec import jwt_claims, jwt_encode
from signup.services import anonymous_token_issue


def make_anonymous_token(client_id: str) -> str:
    """Issue a genuine anonymous token for the app through the real service."""
    token, _ = anonymous_token_issue(client_id=client_id)
    return token


def make_token_with(client_id: str, *, token_type: str = "anonymous", lifetime: int = 600, **claims) -> str:
    """Sign a token with our key whose claims differ from a genuine anonymous token's."""
    base = jwt_claims(
        sub="anon:00000000-0000-4000-8000-000000000000",
        token_type=token_type,
        client_id=client_id,
        lifetime=timedelta(seconds=lifetime),
        scope="signup",
    )
    return jwt_encode({**base, **claims})
