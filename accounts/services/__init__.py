"""Writes of the accounts app, one module per concern (HackSoft's services layer)."""

from accounts.services.audit import audit_event_record
from accounts.services.clients import (
    api_client_create,
    api_key_issue,
    api_key_revoke,
    api_key_revoke_by_key_id,
    api_key_rotate,
    api_secrets_reencrypt,
    usage_buckets_add,
)
from accounts.services.credentials import user_credentials_revoke, user_logout_all
from accounts.services.sessions import (
    credentials_check,
    login_session_create,
    login_session_revoke,
    login_session_touch,
    login_sessions_purge,
    login_sessions_revoke_all,
)
from accounts.services.tokens import (
    TokenPair,
    refresh_token_family_revoke,
    refresh_token_revoke,
    refresh_token_rotate,
    refresh_tokens_purge,
    refresh_tokens_revoke_for_user,
    token_pair_obtain,
    token_verify,
)

__all__ = [
    "TokenPair",
    "api_client_create",
    "api_key_issue",
    "api_key_revoke",
    "api_key_revoke_by_key_id",
    "api_key_rotate",
    "api_secrets_reencrypt",
    "audit_event_record",
    "credentials_check",
    "login_session_create",
    "login_session_revoke",
    "login_session_touch",
    "login_sessions_purge",
    "login_sessions_revoke_all",
    "refresh_token_family_revoke",
    "refresh_token_revoke",
    "refresh_token_rotate",
    "refresh_tokens_purge",
    "refresh_tokens_revoke_for_user",
    "token_pair_obtain",
    "token_verify",
    "usage_buckets_add",
    "user_credentials_revoke",
    "user_logout_all",
]
