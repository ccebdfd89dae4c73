"""What the database holds of a key: a digest and a ciphertext, nothing usable."""

import base64
import string

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection

from clients.crypto import decrypt_secret, key_id_digest
from clients.models import ApiKey
from clients.selectors import api_key_lookup, key_cache_clear
from clients.services import api_secrets_reencrypt

pytestmark = pytest.mark.django_db


def _raw_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM clients_apikey")
        key_rows = cursor.fetchall()
        cursor.execute("SELECT * FROM clients_apiclient")
        client_rows = cursor.fetchall()
        cursor.execute("SELECT * FROM audit_auditevent")
        audit_rows = cursor.fetchall()
    return repr(key_rows + client_rows + audit_rows)


def test_database_rows_hold_neither_key_id_nor_secret(api_key):
    rows = _raw_rows()
    assert api_key.key_id not in rows
    assert api_key.secret not in rows
    assert base64.urlsafe_b64encode(api_key.secret.encode()).decode().rstrip("=") not in rows
    assert key_id_digest(api_key.key_id) in rows  # stored as its digest


def test_stored_secret_decrypts_only_with_the_key_encryption_key(api_key, settings):
    stored = ApiKey.objects.get(pk=api_key.key.pk).encrypted_secret
    assert decrypt_secret(stored, keys=settings.API_SECRET_ENCRYPTION_KEYS) == api_key.secret
    with pytest.raises(InvalidToken):
        decrypt_secret(stored, keys=[Fernet.generate_key().decode()])


def test_key_id_and_secret_have_required_entropy(api_key):
    # token_urlsafe(n) encodes n random bytes: 24 bytes = 192 bits, 32 bytes = 256 bits.
    assert len(base64.urlsafe_b64decode(api_key.key_id + "==")) * 8 >= 128
    assert len(base64.urlsafe_b64decode(api_key.secret + "==")) * 8 >= 256
    assert set(api_key.key_id + api_key.secret) <= set(string.ascii_letters + string.digits + "-_")


def test_reencrypt_moves_secrets_to_the_newest_key(api_key, settings):
    newest = Fernet.generate_key().decode()
    old_keys = list(settings.API_SECRET_ENCRYPTION_KEYS)
    settings.API_SECRET_ENCRYPTION_KEYS = [newest, *old_keys]
    assert api_secrets_reencrypt() == 1
    stored = ApiKey.objects.get(pk=api_key.key.pk).encrypted_secret
    # Readable with the newest key alone: the old ones can now be dropped.
    assert decrypt_secret(stored, keys=[newest]) == api_key.secret
    settings.API_SECRET_ENCRYPTION_KEYS = [newest]
    key_cache_clear()
    assert api_key_lookup(api_key.key_id).secret == api_key.secret
