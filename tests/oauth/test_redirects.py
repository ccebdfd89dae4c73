"""RFC 8252 redirect URIs, per application: what may be registered (model, admin, createapplication),
how loopback ports match at request time, and the full code + PKCE flow of a native app."""

import contextlib
import http.server
import queue
import threading
from collections.abc import Iterator
from io import StringIO
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from requests_oauthlib import OAuth2Session

from oauth.models import OAuthApplication
from tests.accounts.factories import UserFactory
from tests.oauth.helpers import consent, make_application, make_pkce, redirect_params

pytestmark = pytest.mark.django_db

PUBLIC, CONFIDENTIAL = OAuthApplication.CLIENT_PUBLIC, OAuthApplication.CLIENT_CONFIDENTIAL


def register(uri: str, client_type: str = PUBLIC) -> OAuthApplication:
    return make_application(client_type=client_type, redirect_uris=uri)


# --- Registration: the policy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "client_type"),
    [
        ("https://app.example/callback", PUBLIC),
        ("https://app.example/callback", CONFIDENTIAL),
        ("http://127.0.0.1/callback", PUBLIC),
        ("http://127.0.0.1:8400/callback", PUBLIC),
        ("http://[::1]/callback", PUBLIC),
        ("com.example.app:/oauth2/callback", PUBLIC),
    ],
    ids=["https-public", "https-confidential", "loopback-v4", "loopback-v4-port", "loopback-v6", "private-use"],
)
def test_redirect_uri_is_accepted(uri, client_type):
    assert register(uri, client_type).redirect_uris == uri


@pytest.mark.parametrize(
    ("uri", "client_type", "message"),
    [
        ("javascript:alert(1)", PUBLIC, "javascript: URIs are never redirect targets"),
        ("data:text/html,<script>alert(1)</script>", PUBLIC, "data: URIs are never redirect targets"),
        ("file:///etc/passwd", PUBLIC, "file: URIs are never redirect targets"),
        ("http://app.example/callback", PUBLIC, "plain http is allowed only to a loopback IP"),
        ("http://app.example/callback", CONFIDENTIAL, "plain http is allowed only to a loopback IP"),
        ("http://localhost/callback", PUBLIC, "not localhost (RFC 8252 §8.3)"),
        ("http://127.0.0.1/callback", CONFIDENTIAL, "register a public client (RFC 8252 §7.3)"),
        ("com.example.app:/oauth2/callback", CONFIDENTIAL, "register a public client (RFC 8252 §7.1)"),
        ("myapp:/callback", PUBLIC, "the scheme myapp: is not accepted"),
        ("https://app.example/callback#x", PUBLIC, "must not have a fragment"),
    ],
    ids=[
        "javascript", "data", "file", "http-public", "http-confidential", "localhost",
        "loopback-confidential", "private-use-confidential", "not-reverse-domain", "fragment",
    ],
)  # fmt: skip
def test_redirect_uri_is_refused_with_the_reason(uri, client_type, message):
    with pytest.raises(ValidationError) as raised:
        register(uri, client_type)

    [problem] = raised.value.message_dict["redirect_uris"]
    assert problem.startswith(f"{uri} ")
    assert message in problem
    assert not OAuthApplication.objects.exists()


def test_createapplication_registers_docs_first_example():
    # docs/oauth2.md's first command: a native app's private-use scheme, in production settings.
    out = StringIO()
    call_command(
        "createapplication", "public", "authorization-code", "--name", "iOS app",
        "--redirect-uris", "com.example.app:/oauth2/callback", "--algorithm", "RS256", "--json", stdout=out,
    )  # fmt: skip

    app = OAuthApplication.objects.get(name="iOS app")
    assert app.redirect_uris == "com.example.app:/oauth2/callback"
    assert '"client_secret"' not in out.getvalue()


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "http://app.example/cb", "file:///etc/passwd"])
def test_createapplication_refuses_a_bad_redirect_uri_in_one_line(uri):
    with pytest.raises(CommandError) as raised:
        call_command("createapplication", "public", "authorization-code", "--name", "Bad", "--redirect-uris", uri)

    assert str(raised.value).startswith(f"redirect_uris: {uri} ")
    assert "\n" not in str(raised.value)
    assert not OAuthApplication.objects.exists()


def test_admin_refuses_a_javascript_redirect_uri(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/oauth/oauthapplication/add/",
        {
            "client_id": "admin-made-app",
            "client_type": PUBLIC,
            "authorization_grant_type": OAuthApplication.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": "javascript:alert(document.cookie)",
            "post_logout_redirect_uris": "",
            "allowed_origins": "",
            "client_secret": "",
            "name": "Admin app",
            "algorithm": OAuthApplication.RS256_ALGORITHM,
            "registration_source": "manual",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert "javascript: URIs are never redirect targets" in response.content.decode()
    assert not OAuthApplication.objects.exists()


# --- Request time: loopback ports (RFC 8252 §7.3) -------------------------------------------------


def authorize_path(app: OAuthApplication, redirect_uri: str) -> str:
    pkce = make_pkce()
    query = {
        "response_type": "code", "client_id": app.client_id, "redirect_uri": redirect_uri, "scope": "purchases:read",
        "state": "s", "code_challenge": pkce.challenge, "code_challenge_method": "S256",
    }  # fmt: skip
    return "/o/authorize/?" + urlencode(query)


@pytest.mark.parametrize("port", [49152, 61234])
@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]"])
def test_loopback_redirect_matches_any_port_at_request_time(client, user, host, port):
    app = register(f"http://{host}/callback")
    client.force_login(user)

    location = consent(client, authorize_path(app, f"http://{host}:{port}/callback"))

    assert location.startswith(f"http://{host}:{port}/callback?")
    assert "code" in redirect_params(location)


@pytest.mark.parametrize(
    "asked",
    ["http://127.0.0.1:5000/other", "http://localhost:5000/callback", "http://[::1]:5000/callback"],
    ids=["other-path", "localhost", "other-loopback-ip"],
)
def test_loopback_redirect_still_matches_host_and_path(client, user, asked):
    app = register("http://127.0.0.1/callback")
    client.force_login(user)

    response = client.get(authorize_path(app, asked))

    assert response.status_code == 400  # an error page; the server never redirects there
    assert not response.has_header("Location")


# --- The full flow of a native app, with requests-oauthlib --------------------------------------


@contextlib.contextmanager
def loopback_listener() -> Iterator[tuple[int, "queue.Queue[str]"]]:
    """The native app's side of a loopback redirect: an HTTP server on a port the OS picks."""
    received: queue.Queue[str] = queue.Queue()

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.put(f"http://127.0.0.1:{self.server.server_port}{self.path}")
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"You can close this window.")

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, received
    finally:
        server.shutdown()
        server.server_close()


def sign_in_and_consent(client, user, authorization_url: str) -> str:
    client.force_login(user)
    return consent(client, urlsplit(authorization_url)._replace(scheme="", netloc="").geturl())


@pytest.mark.django_db(transaction=True)
def test_code_flow_with_pkce_to_a_loopback_uri_on_a_random_port(live_server, client, user, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the live server itself is plain-HTTP loopback
    app = register("http://127.0.0.1/callback")
    with loopback_listener() as (port, received):
        redirect_uri = f"http://127.0.0.1:{port}/callback"
        oauth = OAuth2Session(app.client_id, redirect_uri=redirect_uri, scope=["purchases:read"], pkce="S256")
        url, state = oauth.authorization_url(f"{live_server.url}/o/authorize/")

        location = sign_in_and_consent(client, user, url)
        assert requests.get(location, timeout=10).status_code == 200  # the browser follows the redirect
        callback = received.get(timeout=10)

    assert callback == location and redirect_params(callback)["state"] == state
    oauth.fetch_token(f"{live_server.url}/o/token/", authorization_response=callback, include_client_id=True)
    whoami = oauth.get(f"{live_server.url}/api/v1/whoami")
    assert whoami.status_code == 200
    assert whoami.json()["client"] == app.client_id


@pytest.mark.django_db(transaction=True)
def test_code_flow_with_pkce_to_a_private_use_scheme(live_server, client, user, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    redirect_uri = "com.example.app:/oauth2/callback"
    app = register(redirect_uri)
    oauth = OAuth2Session(app.client_id, redirect_uri=redirect_uri, scope=["purchases:read"], pkce="S256")
    url, state = oauth.authorization_url(f"{live_server.url}/o/authorize/")

    # The OS hands this URL to the app that claimed the scheme.
    location = sign_in_and_consent(client, user, url)

    assert location.startswith(redirect_uri + "?")
    token = oauth.fetch_token(f"{live_server.url}/o/token/", authorization_response=location, include_client_id=True)
    assert token["token_type"] == "Bearer"
    assert oauth.get(f"{live_server.url}/api/v1/purchases/").status_code == 200
