"""Signup clients for the tests: an ALTCHA solver (the `altcha` library) and a fake siteverify server."""

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from altcha import Challenge, Payload, solve_challenge
from rest_framework.test import APIClient

CAPTCHA = "/api/v1/signup/captcha"
SESSION = "/api/v1/signup/session"
FIND_PERSON = "/api/v1/signup/find-person"
CREATE_PERSON = "/api/v1/signup/create-person"


def solve(challenge: dict) -> str:
    """Solve a challenge as received over the wire; return the base64 payload to submit."""
    received = Challenge.from_dict(json.loads(json.dumps(challenge)))
    solution = solve_challenge(received)
    assert solution is not None, "the challenge could not be solved"
    return Payload(received, solution).to_base64()


def solved_captcha(client: APIClient) -> str:
    """Fetch a challenge from the API and solve it."""
    response = client.get(CAPTCHA)
    assert response.status_code == 200, response.content
    return solve(response.json())


def signup_token(client: APIClient) -> str:
    """Solve a captcha and exchange it for an anonymous token, as the web or mobile app would."""
    response = client.post(SESSION, {"captcha": solved_captcha(client)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["token"]


class SiteverifyServer(ThreadingHTTPServer):
    """Speaks the siteverify protocol: records each form it receives and sends the set reply."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SiteverifyHandler)
        self.forms: list[dict[str, str]] = []
        self.status = 200
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.verdict: object = {"success": True, "hostname": "signup.example", "action": "signup"}
        self.body: bytes | None = None  # sent instead of the JSON verdict when set
        self.delay = 0.0
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/siteverify"


class SiteverifyHandler(BaseHTTPRequestHandler):
    server: SiteverifyServer

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.server.forms.append({name: values[0] for name, values in form.items()})
        # Wait out the delay unless the test is over, so no thread outlives it for long.
        self.server.released.wait(self.server.delay)
        if self.path == "/siteverify":
            status, headers, verdict = self.server.status, self.server.headers, self.server.verdict
            body = self.server.body if self.server.body is not None else json.dumps(verdict).encode()
        else:
            # Any other path says yes, so a test can tell whether a redirect was followed.
            status, headers, body = 200, {"Content-Type": "application/json"}, b'{"success": true}'
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def siteverify_server() -> Iterator[SiteverifyServer]:
    """Serve siteverify on a free loopback port for the duration of the block."""
    server = SiteverifyServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()
