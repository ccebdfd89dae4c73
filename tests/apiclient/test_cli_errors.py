"""`python -m apiclient` answers a bad argument or a server that is down with one line, never a traceback."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"APICLIENT_KEY_ID": "k" * 22, "APICLIENT_SECRET": "s" * 43}


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", **CREDENTIALS}
    return subprocess.run(
        [sys.executable, "-m", "apiclient", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_help_names_the_environment_variables():
    result = _run("--help")
    assert result.returncode == 0
    assert "APICLIENT_KEY_ID" in result.stdout and "APICLIENT_SECRET" in result.stdout


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("-H", "no-colon", "http://127.0.0.1:9/x"), 2, 'a header is "Name: value"'),
        (("--json", "{not json", "http://127.0.0.1:9/x"), 2, "Expecting property name"),
        (("not-a-url",), 2, "Invalid URL"),
    ],
    ids=["header", "json", "url"],
)
def test_bad_arguments_get_one_line(args, status, message):
    result = _run(*args)
    assert result.returncode == status
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_server_that_is_down_gets_one_line():
    result = _run(f"http://127.0.0.1:{_closed_port()}/api/v1/whoami")
    assert result.returncode == 1
    assert "ConnectionError" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
