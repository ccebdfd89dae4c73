"""Management commands for apps and keys: JSON output, non-zero exit on bad input."""

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from clients.crypto import generate_client_id, generate_key_id, key_id_digest
from clients.models import ApiClient, ApiKey

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_api_client_prints_credentials_as_json():
    data = json.loads(_run("create_api_client", "Shop", "--require-signature", "--user-agent", r"Shop/\d+", "--json"))
    assert set(data) == {"client_id", "key_id", "secret"}
    client = ApiClient.objects.get(client_id=data["client_id"])
    assert client.require_signature is True
    assert client.allowed_user_agents == [r"Shop/\d+"]
    assert client.keys.get().key_id_digest == key_id_digest(data["key_id"])


def test_create_api_client_with_invalid_regex_fails():
    with pytest.raises(CommandError, match="regular expression"):
        _run("create_api_client", "Shop", "--user-agent", "(unclosed", "--json")
    assert not ApiClient.objects.exists()


def test_rotate_api_key_issues_a_new_key_and_keeps_the_old(api_key):
    data = json.loads(_run("rotate_api_key", api_key.client.client_id, "--json"))
    assert data["client_id"] == api_key.client.client_id
    assert data["key_id"] != api_key.key_id
    assert ApiKey.objects.usable().filter(client=api_key.client).count() == 2


def test_generated_ids_never_read_as_command_options():
    # A URL-safe token starts with "-" one time in 64, and `rotate_api_key -Xw...` then fails
    # with "the following arguments are required": 1,000 draws would all but surely hit one.
    ids = [generate_client_id() for _ in range(500)] + [generate_key_id() for _ in range(500)]
    assert [value for value in ids if value.startswith("-")] == []


def test_rotate_api_key_with_expiry_sets_old_keys_to_expire(api_key):
    before = timezone.now()
    _run("rotate_api_key", api_key.client.client_id, "--expire-old-in", "3600", "--json")
    old = ApiKey.objects.get(pk=api_key.key.pk)
    assert 3590 <= (old.expires_at - before).total_seconds() <= 3610


@pytest.mark.parametrize("args", [["nope"], ["demo", "--expire-old-in", "-5"]], ids=["unknown-client", "negative"])
def test_rotate_api_key_bad_input_fails(args):
    with pytest.raises(CommandError):
        _run("rotate_api_key", *args, "--json")


def test_revoke_api_key_revokes_at_once(api_key):
    _run("revoke_api_key", api_key.key_id)
    assert ApiKey.objects.get(pk=api_key.key.pk).revoked_at is not None


def test_revoke_unknown_key_fails():
    with pytest.raises(CommandError, match="No such key"):
        _run("revoke_api_key", "unknown")


def test_commands_exit_non_zero_from_the_shell():
    result = subprocess.run(
        [sys.executable, "manage.py", "rotate_api_key", "any", "--expire-old-in", "-5", "--json"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "--expire-old-in must be zero or more seconds" in result.stderr


def test_seed_demo_is_idempotent(settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    first = json.loads(_run("seed_demo", "--json"))
    second = json.loads(_run("seed_demo", "--json"))
    assert first == second
    assert ApiClient.objects.filter(client_id="demo").count() == 1
    assert ApiKey.objects.filter(client__client_id="demo").count() == 1


def test_seed_demo_refuses_to_run_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        _run("seed_demo")


@pytest.mark.parametrize(
    "args",
    [["public", "implicit", "--redirect-uris", "https://app.example/cb"], ["public", "client-credentials"]],
    ids=["implicit-grant", "public-client-credentials"],
)
def test_createapplication_refuses_forbidden_grants_with_non_zero_exit(args):
    with pytest.raises(CommandError):
        _run("createapplication", *args, "--name", "Refused")
