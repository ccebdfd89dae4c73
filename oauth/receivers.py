"""The oauth app's part in ending a user's credentials (accounts.signals.credentials_revoking)."""

from django.dispatch import receiver

from accounts.models import User
from accounts.signals import credentials_revoking
from oauth.lifecycle import oauth2_tokens_revoke_for_user


@receiver(credentials_revoking)
def oauth2_credentials_end(sender, *, user: User, **kwargs) -> dict[str, int]:
    """End the user's OAuth2 refresh tokens, access tokens and unexchanged codes."""
    return {"oauth2_refresh_tokens": oauth2_tokens_revoke_for_user(user=user)}
