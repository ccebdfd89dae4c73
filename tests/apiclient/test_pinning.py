"""apiclient's certificate pinning: the right key talks; another key with a valid chain hears nothing."""

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
import requests

from apiclient.pinning import PinMismatch, PinnedSession, server_pin
from transport.crypto import ca_create, certificate_issue, certificate_pem, private_key_pem, public_key_pin


class RecordingTlsServer:
    """A one-thread HTTPS server that records every byte a client sends after the handshake."""

    def __init__(self, tmp_path, ca, name: str) -> None:
        key, cert = certificate_issue(ca=ca, common_name="localhost", client=False, ip_addresses=["127.0.0.1"])
        self.pin = public_key_pin(cert)
        cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}-key.pem"
        cert_file.write_bytes(certificate_pem(cert))
        key_file.write_bytes(private_key_pem(key))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        self.received: list[bytes] = []
        self.handshakes = 0

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            with contextlib.suppress(OSError), self.context.wrap_socket(raw, server_side=True) as conn:
                self.handshakes += 1
                conn.settimeout(5)
                data = conn.recv(65536)
                self.received.append(data)
                if data:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    @contextlib.contextmanager
    def running(self) -> Iterator["RecordingTlsServer"]:
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.listener.close()
            thread.join(timeout=10)


@pytest.fixture
def ca(tmp_path):
    ca = ca_create("pinning test CA")
    (tmp_path / "ca.pem").write_bytes(certificate_pem(ca[1]))
    return ca


def test_pinned_client_talks_to_the_server_with_the_pinned_key(tmp_path, ca):
    with RecordingTlsServer(tmp_path, ca, "right").running() as server:
        session = PinnedSession(pin_sha256=[server.pin])
        response = session.get(f"{server.url}/api/v1/health", verify=str(tmp_path / "ca.pem"), timeout=10)
    assert response.status_code == 200
    assert server.received[0].startswith(b"GET /api/v1/health HTTP/1.1")


def test_server_with_another_key_of_the_same_ca_hears_no_request_byte(tmp_path, ca):
    expected = RecordingTlsServer(tmp_path, ca, "expected")
    with RecordingTlsServer(tmp_path, ca, "impostor").running() as impostor:
        session = PinnedSession(pin_sha256=[expected.pin])
        with pytest.raises(requests.exceptions.SSLError, match="matches none of the pins"):
            session.get(f"{impostor.url}/api/v1/whoami", verify=str(tmp_path / "ca.pem"), timeout=10)
    # The chain was valid (same CA, right address), the handshake happened, and nothing followed it.
    assert impostor.handshakes >= 1
    assert impostor.received and all(data == b"" for data in impostor.received)


def test_one_of_several_pins_is_enough(tmp_path, ca):
    with RecordingTlsServer(tmp_path, ca, "rotating").running() as server:
        session = PinnedSession(pin_sha256=["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", server.pin])
        assert session.get(server.url, verify=str(tmp_path / "ca.pem"), timeout=10).status_code == 200


def test_server_pin_prints_the_key_pin(tmp_path, ca):
    with RecordingTlsServer(tmp_path, ca, "shown").running() as server:
        assert server_pin(server.url, cafile=str(tmp_path / "ca.pem")) == server.pin


def test_pin_mismatch_is_an_ssl_error():
    assert issubclass(PinMismatch, ssl.SSLError)


def test_empty_pin_list_is_refused():
    from apiclient.pinning import PinnedAdapter

    with pytest.raises(ValueError):
        PinnedAdapter([" "])


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APICLIENT_")}
    return subprocess.run(
        [sys.executable, "-m", "apiclient", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_cli_pin_prints_the_servers_pin(tmp_path, ca):
    with RecordingTlsServer(tmp_path, ca, "cli").running() as server:
        result = _cli("pin", "--cacert", str(tmp_path / "ca.pem"), server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == server.pin


def test_cli_with_a_wrong_pin_fails_without_sending_the_request(tmp_path, ca):
    expected = RecordingTlsServer(tmp_path, ca, "cli-expected")
    with RecordingTlsServer(tmp_path, ca, "cli-impostor").running() as impostor:
        result = _cli("--unsigned", "--pin", expected.pin, "--cacert", str(tmp_path / "ca.pem"), impostor.url)
    assert result.returncode == 1
    assert "matches none of the pins" in result.stderr
    assert all(data == b"" for data in impostor.received)


def test_cli_with_the_right_pin_gets_the_answer(tmp_path, ca):
    with RecordingTlsServer(tmp_path, ca, "cli-right").running() as server:
        result = _cli("--unsigned", "--pin", server.pin, "--cacert", str(tmp_path / "ca.pem"), server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
