"""Interoperability (API.md §12): the PyPI client requests-oauth2client gets and uses DPoP tokens unchanged."""

from urllib.parse import urlsplit

import pytest
import requests
from requests_oauth2client import DPoPToken, OAuth2Client

from oauth.models import OAuthApplication
from tests.oauth.helpers import CLIENT_SECRET, REDIRECT_URI, consent, make_application

pytestmark = pytest.mark.django_db(transaction=True)  # the server is live_server, another thread


def test_client_credentials_token_from_requests_oauth2client_is_dpop_bound(live_server):
    app = make_application(
        client_type="confidential", grant=OAuthApplication.GRANT_CLIENT_CREDENTIALS, redirect_uris=""
    )
    client = OAuth2Client(
        token_endpoint=f"{live_server.url}/o/token/",
        client_id=app.client_id,
        client_secret=CLIENT_SECRET,
        dpop_bound_access_tokens=True,
        testing=True,  # the library's own switch for plain-HTTP test servers; nothing else differs
    )

    token = client.client_credentials(scope="purchases:read")

    assert isinstance(token, DPoPToken)
    whoami = requests.get(f"{live_server.url}/api/v1/whoami", auth=token, timeout=10)
    assert whoami.status_code == 200, whoami.text
    assert whoami.json() == {"user": None, "client": app.client_id, "schemes": ["oauth2", "dpop"]}
    # Without the proof the library adds, the same token is refused.
    bare = requests.get(f"{live_server.url}/api/v1/whoami", headers={"Authorization": f"DPoP {token}"}, timeout=10)
    assert bare.status_code == 401 and bare.json()["code"] == "invalid_dpop_proof"


def test_code_flow_with_pkce_from_requests_oauth2client_calls_purchases(live_server, client, user):
    app = make_application(name="Mobile app (requests-oauth2client)")
    oauth = OAuth2Client(
        token_endpoint=f"{live_server.url}/o/token/",
        authorization_endpoint=f"{live_server.url}/o/authorize/",
        client_id=app.client_id,
        redirect_uri=REDIRECT_URI,
        dpop_bound_access_tokens=True,
        testing=True,  # the library's own switch for plain-HTTP test servers; nothing else differs
    )
    authorization = oauth.authorization_request(scope="purchases:read")  # PKCE S256 by default
    client.force_login(user)  # Django's test client plays the user's browser
    url = urlsplit(str(authorization.uri))
    location = consent(client, f"{url.path}?{url.query}")

    token = oauth.authorization_code(authorization.validate_callback(location))

    assert isinstance(token, DPoPToken)
    purchases = requests.get(f"{live_server.url}/api/v1/purchases/", auth=token, timeout=10)
    assert purchases.status_code == 200, purchases.text
    assert purchases.json()["count"] == 0
    as_bearer = requests.get(
        f"{live_server.url}/api/v1/purchases/", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert as_bearer.status_code == 401 and as_bearer.json()["code"] == "invalid_token"
