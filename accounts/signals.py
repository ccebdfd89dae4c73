"""Signals of the accounts app: ending a user's credentials, and bulk writes to users."""

from django.dispatch import Signal

# Sent by user_credentials_revoke inside its transaction, under the user's row lock, with
# `user`. Each receiver ends the credentials its app issued to that user and returns a dict
# {kind: count} for the audit record; a receiver that raises rolls the whole revocation back.
# The oauth app connects oauth.receivers.oauth2_credentials_end (accounts cannot import oauth,
# which comes after it: oauth's validator signs people in with accounts' password checks).
credentials_revoking = Signal()

# Sent after a queryset update() of users has written (accounts.models.UserQuerySet), with no
# arguments: such a write sends no post_save, and may have changed any user.
users_updated = Signal()
