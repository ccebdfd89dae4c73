"""Writes for API clients and keys: issue, rotate, revoke, re-encrypt; usage counters."""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.http import HttpRequest
from django.utils import timezone

from apiproject.keys import secret_encryption_keys
from audit.models import AuditEvent
from audit.services import audit_event_record
from clients.crypto import encrypt_secret, generate_key_id, generate_secret, key_id_digest, reencrypt_secret
from clients.models import ApiClient, ApiKey, UsageRecord
from clients.selectors import key_cache_clear

# The columns of UsageRecord's unique bucket, in the order of clients.usage.Bucket.
USAGE_BUCKET_COLUMNS = ("client_id", "key_id", "day", "route", "status_code", "ip", "user_agent")


def api_key_issue(
    *, client: ApiClient, expires_at: datetime | None = None, request: HttpRequest | None = None
) -> tuple[ApiKey, str, str]:
    """Issue a new key for the app; return (key, key_id, secret), the last two in the clear once.

    `request`, when a person does it (the admin), puts who and from where in the audit log.
    """
    key_id, secret = generate_key_id(), generate_secret()
    key = ApiKey.objects.create(
        client=client,
        key_id_digest=key_id_digest(key_id),
        prefix=key_id[:8],
        encrypted_secret=encrypt_secret(secret, keys=secret_encryption_keys()),
        expires_at=expires_at,
    )
    audit_event_record(
        kind=AuditEvent.Kind.KEY_CREATED, request=request, client_id=client.client_id, key_prefix=key.prefix
    )
    return key, key_id, secret


@transaction.atomic
def api_client_create(
    *,
    name: str,
    require_signature: bool = False,
    allowed_user_agents: list[str] | None = None,
    throttle_rate: str = "",
    signup_proof: str = ApiClient.SignupProof.CAPTCHA,
) -> tuple[ApiClient, ApiKey, str, str]:
    """Register an app with its first key; return (client, key, key_id, secret).

    The key id and secret exist in the clear only in the return value: show them once.
    """
    client = ApiClient(
        name=name,
        require_signature=require_signature,
        allowed_user_agents=allowed_user_agents or [],
        throttle_rate=throttle_rate,
        signup_proof=signup_proof,
    )
    client.full_clean()
    client.save()
    key, key_id, secret = api_key_issue(client=client)
    return client, key, key_id, secret


@transaction.atomic
def api_key_rotate(
    *, client: ApiClient, expire_old_in: int | None = None, request: HttpRequest | None = None
) -> tuple[ApiKey, str, str]:
    """Issue a new key for the app; the old ones keep working, or expire in `expire_old_in` seconds.

    Overlap is the point: installed copies of the app move to the new key at their own pace,
    and the old key is revoked once they have, without breaking any of them.
    """
    if expire_old_in is not None:
        deadline = timezone.now() + timedelta(seconds=expire_old_in)
        # Shorten the life of the old keys, never lengthen it.
        client.keys.usable().filter(Q(expires_at__isnull=True) | Q(expires_at__gt=deadline)).update(expires_at=deadline)
        key_cache_clear()
    return api_key_issue(client=client, request=request)


def api_key_revoke(*, key: ApiKey, request: HttpRequest | None = None) -> ApiKey:
    """Revoke one key at once; other workers stop accepting it within API_KEY_CACHE_SECONDS."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_event_record(
            kind=AuditEvent.Kind.KEY_REVOKED, request=request, client_id=key.client.client_id, key_prefix=key.prefix
        )
    key_cache_clear()
    return key


def api_key_revoke_by_key_id(*, key_id: str) -> ApiKey:
    """Revoke the key with this key id; raises ApiKey.DoesNotExist for an unknown id."""
    key = ApiKey.objects.select_related("client").get(key_id_digest=key_id_digest(key_id))
    return api_key_revoke(key=key)


def api_secrets_reencrypt() -> int:
    """Re-encrypt every stored secret under the newest key-encryption key; return the count."""
    keys = secret_encryption_keys()
    count = 0
    for key in ApiKey.objects.only("pk", "encrypted_secret").iterator():
        rotated = reencrypt_secret(key.encrypted_secret, keys=keys)
        ApiKey.objects.filter(pk=key.pk).update(encrypted_secret=rotated)
        count += 1
    key_cache_clear()
    return count


def usage_buckets_add(*, batch: dict[tuple, int]) -> None:
    """Add aggregated call counts to their usage rows, creating rows as needed, in one transaction.

    One INSERT ... ON CONFLICT DO UPDATE per 500 buckets (PostgreSQL and SQLite alike): Django's
    bulk_create(update_conflicts=True) can only overwrite a count, not add to it, and a query per
    bucket made a flush of 15,000 distinct agents time workers out. Negative counts (a status
    move whose count was written by an earlier flush) only ever lower an existing row, never
    below zero. Counts of keys deleted meanwhile are dropped.
    """
    live_clients = set(ApiClient.objects.filter(pk__in={b[0] for b in batch}).values_list("pk", flat=True))
    live_keys = set(ApiKey.objects.filter(pk__in={b[1] for b in batch}).values_list("pk", flat=True)) | {None}
    rows = [(b, n) for b, n in batch.items() if n and b[0] in live_clients and b[1] in live_keys]
    table = connection.ops.quote_name(UsageRecord._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in (*USAGE_BUCKET_COLUMNS, "count"))
    conflict = ", ".join(connection.ops.quote_name(c) for c in USAGE_BUCKET_COLUMNS)
    count = connection.ops.quote_name("count")
    # No key (an attested app): NULL never conflicts in the unique bucket, so those rows are
    # added one by one below instead.
    additions = [
        (client_pk, key_pk, connection.ops.adapt_datefield_value(day), route, status, ip, agent, n)
        for (client_pk, key_pk, day, route, status, ip, agent), n in rows
        if n > 0 and key_pk is not None
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(additions), 500):
            chunk = additions[start : start + 500]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT ({conflict}) "
                f"DO UPDATE SET {count} = {table}.{count} + EXCLUDED.{count}",
                [value for row in chunk for value in row],
            )
        for (client_pk, key_pk, day, route, status, ip, user_agent), n in rows:
            if n > 0 and key_pk is None:
                bucket = dict(client_id=client_pk, key_id=None, day=day, route=route, status_code=status, ip=ip)
                if not UsageRecord.objects.filter(**bucket, user_agent=user_agent).update(count=F("count") + n):
                    UsageRecord.objects.create(**bucket, user_agent=user_agent, count=n)
            elif n < 0:
                UsageRecord.objects.filter(
                    client_id=client_pk,
                    key_id=key_pk,
                    day=day,
                    route=route,
                    status_code=status,
                    ip=ip,
                    user_agent=user_agent,
                ).update(count=Greatest(F("count") + n, 0))
        ApiKey.objects.filter(pk__in={b[1] for b, _ in rows} - {None}).update(last_used_at=timezone.now())
