"""Writes of the accounts app, one module per concern (HackSoft's services layer)."""

from accounts.services.audit import audit_event_record, client_ip
from accounts.services.clients import (
    api_client_create,
    api_key_issue,
    api_key_revoke,
    api_key_revoke_by_key_id,
    api_key_rotate,
    api_secrets_reencrypt,
    usage_buckets_add,
)

__all__ = [
    "api_client_create",
    "api_key_issue",
    "api_key_revoke",
    "api_key_revoke_by_key_id",
    "api_key_rotate",
    "api_secrets_reencrypt",
    "audit_event_record",
    "client_ip",
    "usage_buckets_add",
]
