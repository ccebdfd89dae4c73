"""`make secrets` (deploy/secrets.py): every production secret, owner-only, enough to start."""

import os
import stat
import subprocess
import sys

from deploy.secrets import ENV_FILE_NAME, read_env_file, secrets_ensure
from deploy.stack import ROOT

REQUIRED = {
    "DJANGO_SECRET_KEY",
    "API_SECRET_ENCRYPTION_KEYS",
    "SIGNUP_ALTCHA_HMAC_KEY",
    "JWT_PRIVATE_KEY_FILE",
    "OIDC_RSA_PRIVATE_KEY_FILE",
}


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secrets_writes_every_variable_owner_only(tmp_path):
    directory = tmp_path / "secrets"
    values = secrets_ensure(directory)
    assert set(values) == REQUIRED
    assert _mode(directory) == 0o700
    assert read_env_file(directory / ENV_FILE_NAME) == values
    for path in directory.iterdir():
        assert _mode(path) == 0o600, path


def test_secrets_rerun_keeps_every_secret(tmp_path):
    first = secrets_ensure(tmp_path)
    key_file = (tmp_path / "jwt-es256.pem").read_bytes()
    assert secrets_ensure(tmp_path) == first
    assert (tmp_path / "jwt-es256.pem").read_bytes() == key_file


def _start_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = "import django; django.setup(); from apiproject.keys import jwt_private_key, oidc_rsa_private_key; "
    code += "jwt_private_key(); oidc_rsa_private_key()"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def test_production_settings_start_with_the_secrets_and_not_without(tmp_path):
    # Only what `make secrets` printed: none of the test suite's own keys.
    bare = {k: v for k, v in os.environ.items() if k not in REQUIRED} | {"DJANGO_DEBUG": "0"}
    assert _start_settings(bare).returncode != 0
    result = _start_settings(bare | secrets_ensure(tmp_path))
    assert result.returncode == 0, result.stderr


def test_make_secrets_prints_shell_exports(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "deploy.secrets", "--dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    exported = dict(line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines())
    assert exported == read_env_file(tmp_path / ENV_FILE_NAME)
