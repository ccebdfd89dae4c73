"""The Python client (apiclient): signing and encryption against the running server."""

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from apiclient.signing import HttpSignatureAuth

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.signatures.urls")]

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = {"item": "book", "quantity": 2}


@pytest.fixture
def session(api_key) -> requests.Session:
    session = requests.Session()
    session.auth = HttpSignatureAuth(api_key.key_id, api_key.secret)
    return session


def test_signed_get_is_accepted(live_server, session, api_key):
    response = session.get(f"{live_server.url}/api/v1/whoami", timeout=10)

    assert response.status_code == 200, response.text
    assert response.json() == {"user": None, "client": api_key.client.client_id, "schemes": ["signature"]}


def test_signed_post_covers_its_body(live_server, session):
    response = session.post(f"{live_server.url}/echo", json=PAYLOAD, timeout=10)

    assert response.status_code == 200, response.text
    assert response.json()["data"] == PAYLOAD
    signature_input = response.request.headers["Signature-Input"]
    assert '("@method" "@target-uri" "content-type" "accept" "content-digest")' in signature_input
    assert "nonce=" in signature_input and 'alg="hmac-sha256"' in signature_input


def test_every_request_gets_a_new_nonce(live_server, session):
    first = session.get(f"{live_server.url}/api/v1/whoami", timeout=10)
    second = session.get(f"{live_server.url}/api/v1/whoami", timeout=10)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.request.headers["Signature-Input"] != second.request.headers["Signature-Input"]


def test_encrypted_post_round_trips(live_server, api_key):
    auth = HttpSignatureAuth(api_key.key_id, api_key.secret, encrypt=True)

    response = requests.post(f"{live_server.url}/echo", json=PAYLOAD, auth=auth, timeout=10)

    assert response.status_code == 200, response.text
    assert response.request.headers["Content-Type"] == "application/jose"
    assert response.request.body.count(b".") == 4  # the wire carried a JWE, not the JSON
    assert response.json() == {"client": api_key.client.client_id, "data": PAYLOAD}


def test_secret_is_not_in_the_repr():
    auth = HttpSignatureAuth("key-id", "very-secret-value")

    assert "very-secret-value" not in repr(auth)


def test_streamed_body_is_refused():
    request = requests.Request("POST", "https://api.example.com/echo", data=io.BytesIO(b"{}")).prepare()

    with pytest.raises(TypeError):
        HttpSignatureAuth("k", "s")(request)


def test_encrypting_a_form_body_is_refused():
    request = requests.Request("POST", "https://api.example.com/echo", data={"a": "1"}).prepare()

    with pytest.raises(ValueError, match="JSON"):
        HttpSignatureAuth("k", "s", encrypt=True)(request)


def _cli(*args: str, api_key) -> subprocess.CompletedProcess:
    env = {**os.environ, "APICLIENT_KEY_ID": api_key.key_id, "APICLIENT_SECRET": api_key.secret}
    return subprocess.run(
        [sys.executable, "-m", "apiclient", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_command_line_sends_a_signed_request_and_prints_the_base(live_server, api_key):
    result = _cli("--print-base", f"{live_server.url}/api/v1/whoami", api_key=api_key)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["client"] == api_key.client.client_id
    assert '"@method": GET\n"@target-uri": ' in result.stderr
    assert '"@signature-params": ("@method" "@target-uri");created=' in result.stderr
    assert api_key.secret not in result.stderr + result.stdout


def test_command_line_encrypts_a_json_body(live_server, api_key):
    result = _cli("--encrypt", "--json", json.dumps(PAYLOAD), f"{live_server.url}/echo", api_key=api_key)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data"] == PAYLOAD


def test_command_line_without_credentials_exits_2():
    env = {name: value for name, value in os.environ.items() if not name.startswith("APICLIENT_")}

    result = subprocess.run(
        [sys.executable, "-m", "apiclient", "https://api.example.com/"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 2
    assert "APICLIENT_KEY_ID" in result.stderr


def _docs_shell_script() -> str:
    page = (ROOT / "docs" / "request-signing.md").read_text()
    return re.search(r"```bash\n(# sign-and-send.*?)```", page, re.DOTALL).group(1)


@pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("curl")), reason="needs openssl and curl")
def test_shell_script_of_the_docs_is_accepted(live_server, api_key):
    env = {
        **os.environ,
        "METHOD": "POST",
        "URL": f"{live_server.url}/echo",
        "BODY": json.dumps(PAYLOAD),
        "KEY_ID": api_key.key_id,
        "SECRET": api_key.secret,
    }

    result = subprocess.run(["bash", "-c", _docs_shell_script()], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"client": api_key.client.client_id, "data": PAYLOAD}
