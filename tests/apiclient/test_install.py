"""`pip install ./apiclient` gives a client that works on its own, without the server's packages."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.signatures.urls")]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed_python(tmp_path_factory) -> Path:
    """A fresh virtualenv with only `pip install ./apiclient` in it (from a copy: no build files in the repo)."""
    work = tmp_path_factory.mktemp("apiclient-install")
    source = work / "apiclient"
    shutil.copytree(ROOT / "apiclient", source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=120)
    python = work / "venv" / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    return python


def test_installs_with_its_four_dependencies_and_no_server_package(installed_python):
    listed = subprocess.run(
        [str(installed_python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = {row["name"].lower().replace("_", "-") for row in json.loads(listed.stdout)}
    assert {"apiproject-client", "requests", "http-message-signatures", "cryptography", "pyjwt"} <= names
    assert not names & {"django", "djangorestframework"}


def test_installed_client_signs_a_request_the_server_accepts(installed_python, live_server, api_key, tmp_path):
    # Run from an empty folder, so that the repository's own apiclient/ cannot be imported instead.
    env = {"PATH": "/usr/bin:/bin", "APICLIENT_KEY_ID": api_key.key_id, "APICLIENT_SECRET": api_key.secret}
    result = subprocess.run(
        [str(installed_python.parent / "apiclient"), f"{live_server.url}/api/v1/whoami"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["schemes"] == ["signature"]
