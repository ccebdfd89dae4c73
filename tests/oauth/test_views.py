"""The authorization server at /o/: the code flow with PKCE, the grants it refuses, refresh rotation,
introspection, revocation, OpenID Connect, the login page and application management."""

import base64
import datetime
import hashlib
from io import StringIO
from urllib.parse import urlsplit

import jwt
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from oauth2_provider.models import AccessToken, Grant, RefreshToken
from requests_oauthlib import OAuth2Session

from audit.models import AuditEvent
from oauth.models import OAuthApplication
from oauth.signing_key import signing_kid
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.oauth.helpers import (
    CLIENT_SECRET,
    REDIRECT_URI,
    authorization_code,
    authorize_url,
    consent,
    make_application,
    make_introspector,
    make_pkce,
    redirect_params,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def app() -> OAuthApplication:
    """A public client (a mobile app): no secret, PKCE instead."""
    return make_application()


@pytest.fixture
def confidential_app() -> OAuthApplication:
    return make_application(client_type=OAuthApplication.CLIENT_CONFIDENTIAL, name="Web backend")


@pytest.fixture
def browser(client, user):
    """The user's browser, signed in to the authorization server."""
    client.force_login(user)
    return client


def token_request(client, **data):
    return client.post("/o/token/", data)


def code_exchange(client, app, code, verifier, **extra):
    data = {"code": code, "redirect_uri": REDIRECT_URI, "client_id": app.client_id, "code_verifier": verifier}
    return token_request(client, grant_type="authorization_code", **(data | extra))


def tokens_for(browser, app, scope="purchases:read"):
    pkce = make_pkce()
    response = code_exchange(browser, app, authorization_code(browser, app, pkce, scope), pkce.verifier)
    assert response.status_code == 200, response.content
    return response.json()


def introspect(client, app, token):
    return client.post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id, CLIENT_SECRET))


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# --- The full flow, with a real OAuth2 client library ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_code_flow_with_pkce_through_requests_oauthlib(live_server, client, user, monkeypatch):
    """requests-oauthlib does the app's part over HTTP; Django's test client is the user's browser."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the live server is plain-HTTP loopback
    app = make_application()
    oauth = OAuth2Session(app.client_id, redirect_uri=REDIRECT_URI, scope=["purchases:read", "openid"], pkce="S256")
    url, state = oauth.authorization_url(f"{live_server.url}/o/authorize/")
    path = urlsplit(url)._replace(scheme="", netloc="").geturl()

    # Not signed in: the authorize endpoint sends the browser to the login page.
    login_redirect = client.get(path)
    assert login_redirect.status_code == 302
    assert login_redirect["Location"].startswith("/accounts/login/?next=")
    signed_in = client.post(login_redirect["Location"], {"username": user.username, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == path

    location = consent(client, path)
    assert redirect_params(location)["state"] == state
    token = oauth.fetch_token(f"{live_server.url}/o/token/", authorization_response=location, include_client_id=True)

    assert set(token) >= {"access_token", "refresh_token", "id_token", "expires_in"}
    assert token["expires_in"] == 300
    whoami = oauth.get(f"{live_server.url}/api/v1/whoami")
    assert whoami.status_code == 200
    assert whoami.json() == {"user": user.username, "client": app.client_id, "schemes": ["oauth2"]}
    refreshed = oauth.refresh_token(f"{live_server.url}/o/token/", client_id=app.client_id)
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert oauth.get(f"{live_server.url}/api/v1/purchases/").status_code == 200


def test_access_token_is_an_rfc9068_jwt_verifiable_with_the_jwks(browser, app, user):
    access_token = tokens_for(browser, app)["access_token"]
    jwks = jwt.PyJWKSet.from_dict(browser.get("/o/.well-known/jwks.json").json())

    header = jwt.get_unverified_header(access_token)
    claims = jwt.decode(access_token, jwks[header["kid"]].key, algorithms=["RS256"], audience="apiproject-api")

    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": signing_kid()}
    assert set(claims) == {"iss", "aud", "sub", "client_id", "scope", "exp", "iat", "jti", "username"}
    assert claims["iss"] == "http://testserver/o"
    assert (claims["sub"], claims["client_id"], claims["scope"]) == (str(user.pk), app.client_id, "purchases:read")
    assert claims["exp"] - claims["iat"] == 300


def test_tokens_are_stored_only_as_sha256_checksums(browser, app):
    tokens = tokens_for(browser, app)

    access, refresh = AccessToken.objects.get(), RefreshToken.objects.get()
    assert access.token == "" and refresh.token == ""
    assert access.token_checksum == hashlib.sha256(tokens["access_token"].encode()).hexdigest()
    assert refresh.token_checksum == hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()


def test_consent_denied_redirects_with_access_denied(browser, app):
    location = consent(browser, authorize_url(app, pkce=make_pkce()), allow=False)

    assert redirect_params(location)["error"] == "access_denied"
    assert not Grant.objects.exists()


# --- Consent: when the page may be skipped (RFC 8252 §8.6) -------------------------------------


def test_public_client_asking_approval_prompt_auto_still_gets_the_consent_page(browser, app):
    # The user already approved this app once and holds a live token: the toolkit's "auto"
    # would hand a code to whoever sends the public client_id, without asking the user.
    tokens_for(browser, app)

    page = browser.get(authorize_url(app, pkce=make_pkce(), approval_prompt="auto"))

    assert page.status_code == 200
    assert "form" in page.context


def test_confidential_client_with_approval_prompt_auto_and_a_live_token_skips_the_page(browser, confidential_app):
    # A confidential client proves it is the real app with its secret when it redeems the code.
    pkce = make_pkce()
    code = authorization_code(browser, confidential_app, pkce)
    exchanged = code_exchange(browser, confidential_app, code, pkce.verifier, client_secret=CLIENT_SECRET)
    assert exchanged.status_code == 200, exchanged.content

    page = browser.get(authorize_url(confidential_app, pkce=make_pkce(), approval_prompt="auto"))

    assert page.status_code == 302
    assert "code" in redirect_params(page["Location"])


def test_skip_authorization_on_a_first_party_app_skips_the_consent_page(browser):
    app = make_application(first_party=True, skip_authorization=True)

    page = browser.get(authorize_url(app, pkce=make_pkce()))

    assert page.status_code == 302
    assert "code" in redirect_params(page["Location"])


def test_skip_authorization_is_refused_for_an_app_that_is_not_first_party():
    with pytest.raises(ValidationError) as raised:
        make_application(skip_authorization=True)

    assert "skip_authorization" in raised.value.message_dict


# --- What the authorization endpoint refuses -------------------------------------------------


def test_authorize_without_pkce_is_refused(browser, app):
    response = browser.get(authorize_url(app, pkce=None))

    assert response.status_code == 302
    params = redirect_params(response["Location"])
    assert params["error"] == "invalid_request" and "code" not in params


def test_plain_pkce_is_refused(browser, app):
    url = authorize_url(app, pkce=None, code_challenge="a" * 43, code_challenge_method="plain")

    params = redirect_params(consent(browser, url))

    assert params["error"] == "invalid_request" and "code" not in params
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://evil.example/callback", "https://client.example/callback/", "https://client.example/callback?x=1"],
    ids=["other-host", "trailing-slash", "extra-query"],
)
def test_unregistered_redirect_uri_is_refused_without_redirecting(browser, app, redirect_uri):
    response = browser.get(authorize_url(app, pkce=make_pkce(), redirect_uri=redirect_uri))

    assert response.status_code == 400  # never sent on to an address the app did not register
    assert "Location" not in response
    assert not Grant.objects.exists()


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code id_token"])
def test_implicit_and_hybrid_response_types_are_refused(browser, app, response_type):
    url = authorize_url(app, pkce=make_pkce(), scope="openid purchases:read", response_type=response_type, nonce="n")

    location = consent(browser, url)

    assert "access_token" not in location and "id_token=" not in location
    assert "error=" in location


def test_implicit_application_in_the_database_still_gets_no_token(browser):
    # Registered before the policy, or by hand: the toolkit's RFC 9700 gate refuses it anyway.
    app = OAuthApplication.objects.create(
        name="Old SPA", client_type="public", authorization_grant_type="implicit", redirect_uris=REDIRECT_URI
    )

    location = consent(browser, authorize_url(app, pkce=None, response_type="token"))

    assert "access_token" not in location and "error=" in location


# --- What the token endpoint refuses ---------------------------------------------------------


def test_wrong_code_verifier_is_refused(browser, app):
    pkce = make_pkce()
    code = authorization_code(browser, app, pkce)

    response = code_exchange(browser, app, code, make_pkce().verifier)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_redirect_uri_must_match_at_the_token_endpoint(browser, app):
    pkce = make_pkce()
    code = authorization_code(browser, app, pkce)

    response = code_exchange(browser, app, code, pkce.verifier, redirect_uri="https://client.example/other")

    assert response.status_code == 400
    assert not AccessToken.objects.exists()


def test_code_is_single_use(browser, app):
    pkce = make_pkce()
    code = authorization_code(browser, app, pkce)
    assert code_exchange(browser, app, code, pkce.verifier).status_code == 200

    assert code_exchange(browser, app, code, pkce.verifier).status_code == 400


def test_password_grant_is_refused_when_off_without_checking_the_password(client, user):
    app = make_application(
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL, grant=OAuthApplication.GRANT_PASSWORD, first_party=True
    )

    response = token_request(
        client,
        grant_type="password",
        username=user.username,
        password=DEFAULT_PASSWORD,
        client_id=app.client_id,
        client_secret=CLIENT_SECRET,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()
    # oauthlib checks the password before the grant type; ours refuses first, so no login happened.
    assert not AuditEvent.objects.filter(kind__in=[AuditEvent.Kind.LOGIN_SUCCEEDED, AuditEvent.Kind.LOGIN_FAILED])


@pytest.fixture
def password_grant_on(settings):
    settings.OAUTH2_ALLOW_PASSWORD_GRANT = True
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": False}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the toolkit warns on every legacy use
@pytest.mark.parametrize(
    ("client_type", "first_party", "status"),
    [("confidential", True, 200), ("confidential", False, 400)],
    ids=["first-party", "third-party"],
)
def test_password_grant_when_on_is_for_confidential_first_party_apps(
    password_grant_on, client, user, client_type, first_party, status
):
    app = OAuthApplication.objects.create(
        name="App",
        client_type=client_type,
        authorization_grant_type="password",
        client_secret=CLIENT_SECRET,
        first_party=first_party,
    )

    response = token_request(
        client,
        grant_type="password",
        username=user.username,
        password=DEFAULT_PASSWORD,
        client_id=app.client_id,
        client_secret=CLIENT_SECRET,
        scope="purchases:read",
    )

    assert response.status_code == status


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_password_grant_wrong_password_counts_against_the_login_budget(password_grant_on, client, user):
    app = make_application(
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL, grant=OAuthApplication.GRANT_PASSWORD, first_party=True
    )

    response = token_request(
        client,
        grant_type="password",
        username=user.username,
        password="wrong",
        client_id=app.client_id,
        client_secret=CLIENT_SECRET,
    )

    assert response.status_code == 400
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_FAILED, username=user.username).count() == 1


def test_client_credentials_token_names_the_client(client, confidential_app):
    confidential_app.authorization_grant_type = OAuthApplication.GRANT_CLIENT_CREDENTIALS
    confidential_app.save()

    response = token_request(
        client,
        grant_type="client_credentials",
        client_id=confidential_app.client_id,
        client_secret=CLIENT_SECRET,
        scope="purchases:read",
    )

    assert response.status_code == 200
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == claims["client_id"] == confidential_app.client_id
    assert "username" not in claims and "refresh_token" not in response.json()


def test_client_credentials_with_wrong_secret_is_refused(client):
    app = make_application(client_type="confidential", grant=OAuthApplication.GRANT_CLIENT_CREDENTIALS)

    response = token_request(client, grant_type="client_credentials", client_id=app.client_id, client_secret="wrong")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# --- Refresh tokens: rotation and reuse --------------------------------------------------------


def refresh(client, app, refresh_token):
    return token_request(client, grant_type="refresh_token", refresh_token=refresh_token, client_id=app.client_id)


def test_refresh_rotates_the_refresh_token(browser, app):
    first = tokens_for(browser, app)

    second = refresh(browser, app, first["refresh_token"])

    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert second.json()["scope"] == "purchases:read"


def test_refresh_token_reuse_revokes_the_whole_family(browser, app):
    first = tokens_for(browser, app)
    second = refresh(browser, app, first["refresh_token"]).json()

    replay = refresh(browser, app, first["refresh_token"])

    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The thief's replay kills the legitimate client's tokens too: both must sign in again.
    assert refresh(browser, app, second["refresh_token"]).status_code == 400
    assert introspect(browser, make_introspector(), second["access_token"]).json() == {"active": False}
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


# --- Introspection (RFC 7662) and revocation (RFC 7009) ---------------------------------------


def test_introspection_of_an_active_token_carries_its_claims(browser, app, user):
    access_token = tokens_for(browser, app)["access_token"]

    response = introspect(browser, make_introspector(), access_token)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["active"] is True
    assert (body["sub"], body["username"], body["client_id"]) == (str(user.pk), user.username, app.client_id)
    assert (body["iss"], body["aud"], body["scope"], body["token_type"]) == (
        "http://testserver/o",
        "apiproject-api",
        "purchases:read",
        "Bearer",
    )
    assert set(body) >= {"exp", "iat", "jti"}


def test_introspection_of_an_expired_token_is_inactive(browser, app):
    access_token = tokens_for(browser, app)["access_token"]
    introspector = make_introspector()

    with time_machine.travel(_now_plus(301)):
        response = introspect(browser, introspector, access_token)

    assert response.json() == {"active": False}


def test_introspection_of_a_revoked_token_is_inactive(browser, app):
    access_token = tokens_for(browser, app)["access_token"]

    revoked = browser.post("/o/revoke_token/", {"token": access_token, "client_id": app.client_id})

    assert revoked.status_code == 200
    assert introspect(browser, make_introspector(), access_token).json() == {"active": False}
    assert not AccessToken.objects.exists()


def test_introspection_needs_client_authentication(browser, app):
    access_token = tokens_for(browser, app)["access_token"]

    response = browser.post("/o/introspect/", {"token": access_token})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="oauth2"'
    assert response.json()["error"] == "invalid_client"


def test_introspection_refuses_a_confidential_client_not_registered_as_a_resource_server(browser, app):
    # RFC 7662 §4: any app with a client secret could otherwise scan tokens it never held.
    access_token = tokens_for(browser, app)["access_token"]
    other = make_application(
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL,
        grant=OAuthApplication.GRANT_CLIENT_CREDENTIALS,
        name="Billing job",
        redirect_uris="",
    )

    response = introspect(browser, other, access_token)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_introspection_refuses_a_resource_server_with_a_wrong_secret(browser, app):
    access_token = tokens_for(browser, app)["access_token"]
    introspector = make_introspector()

    response = browser.post(
        "/o/introspect/", {"token": access_token}, HTTP_AUTHORIZATION=basic_auth(introspector.client_id, "wrong")
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_only_a_confidential_client_can_be_allowed_to_introspect():
    with pytest.raises(ValidationError) as raised:
        make_application(introspection_allowed=True)  # a public client has no secret to authenticate with

    assert "introspection_allowed" in raised.value.message_dict


def test_introspection_refuses_a_token_in_the_query_string(browser, app):
    introspector = make_introspector()

    response = browser.get(
        "/o/introspect/?token=x", HTTP_AUTHORIZATION=basic_auth(introspector.client_id, CLIENT_SECRET)
    )

    assert response.status_code == 405


def test_revoking_the_refresh_token_ends_the_session(browser, app):
    tokens = tokens_for(browser, app)

    revoked = browser.post(
        "/o/revoke_token/",
        {"token": tokens["refresh_token"], "token_type_hint": "refresh_token", "client_id": app.client_id},
    )

    assert revoked.status_code == 200
    assert refresh(browser, app, tokens["refresh_token"]).status_code == 400
    assert introspect(browser, make_introspector(), tokens["access_token"]).json() == {"active": False}


def _now_plus(seconds: int) -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=seconds)


# --- OpenID Connect and discovery --------------------------------------------------------------


def test_userinfo_releases_the_username_with_the_profile_scope(browser, app, user):
    access_token = tokens_for(browser, app, scope="openid profile")["access_token"]

    response = browser.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")

    assert response.status_code == 200
    assert response.json() == {"sub": str(user.pk), "preferred_username": user.username}


def test_discovery_advertises_only_what_the_server_accepts(client):
    config = client.get("/o/.well-known/openid-configuration").json()

    assert config["response_types_supported"] == ["code"]
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["jwks_uri"] == "http://testserver/o/.well-known/jwks.json"
    metadata = client.get("/o/.well-known/oauth-authorization-server").json()
    assert set(metadata["grant_types_supported"]) == {"authorization_code", "client_credentials", "refresh_token"}
    assert metadata["introspection_endpoint"].endswith("/o/introspect/")


def test_application_management_pages_are_not_published(browser):
    assert browser.get("/o/applications/").status_code == 404


# --- The login page ------------------------------------------------------------------------------


def test_login_page_is_self_contained(client):
    response = client.get("/accounts/login/?next=/o/authorize/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<script" not in html and "https://" not in html and "http://" not in html
    assert response["X-Frame-Options"] == "DENY"


def test_login_page_shares_the_login_failure_budget(client, user):
    for _ in range(5):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})

    response = client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200  # the form again, not a redirect: even the right password waits
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- Applications: the model's policy, the command and the admin -----------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"authorization_grant_type": "implicit"}, "authorization_grant_type"),
        ({"authorization_grant_type": "openid-hybrid"}, "authorization_grant_type"),
        (
            {"authorization_grant_type": "password", "client_type": "public", "first_party": True},
            "authorization_grant_type",
        ),
        ({"authorization_grant_type": "password", "client_type": "confidential"}, "authorization_grant_type"),
        ({"authorization_grant_type": "client-credentials", "client_type": "public"}, "client_type"),
    ],
    ids=["implicit", "hybrid", "password-public", "password-third-party", "client-credentials-public"],
)
def test_application_policy_refuses_grants_rfc9700_drops(fields, field):
    app = OAuthApplication(**{"name": "x", "client_type": "public", "redirect_uris": REDIRECT_URI, **fields})

    with pytest.raises(ValidationError) as excinfo:
        app.full_clean()

    assert field in excinfo.value.message_dict


def test_createapplication_registers_a_first_party_app():
    out = StringIO()

    call_command("createapplication", "confidential", "password", "--first-party", "--name", "Own app", stdout=out)

    app = OAuthApplication.objects.get(name="Own app")
    assert app.first_party and app.client_type == "confidential"
    assert "client_secret:" in out.getvalue()
    # Generated, so stored as HMAC-SHA-256 (oauth/hashers.py), never in the clear.
    assert app.client_secret.startswith("client_secret_hmac_sha256$")


def test_createapplication_registers_a_resource_server_that_may_introspect():
    call_command(
        "createapplication", "confidential", "client-credentials", "--introspection", "--name", "API", stdout=StringIO()
    )

    assert OAuthApplication.objects.get(name="API").introspection_allowed


def test_createapplication_refuses_introspection_for_a_public_client():
    with pytest.raises(CommandError, match="introspection_allowed"):
        call_command(
            "createapplication", "public", "authorization-code", "--introspection", "--name", "SPA",
            "--redirect-uris", REDIRECT_URI,
        )  # fmt: skip


def test_createapplication_refuses_the_implicit_grant():
    with pytest.raises(CommandError, match="authorization_grant_type"):
        call_command("createapplication", "public", "implicit", "--name", "SPA", "--redirect-uris", REDIRECT_URI)

    assert not OAuthApplication.objects.filter(name="SPA").exists()


def test_admin_lists_oauth_applications(client, app):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get("/admin/oauth/oauthapplication/")

    assert response.status_code == 200
    assert app.client_id in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "client_credentials", "client_id": "cc\x00", "client_secret": "x"},
        {"grant_type": "authorization_code", "code": "a\x00b", "client_id": "x", "code_verifier": "v" * 43},
    ],
    ids=["client-id", "code"],
)
def test_nul_byte_in_token_request_is_invalid_request_not_500(client, data):
    response = client.post("/o/token/", data)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_nul_byte_in_basic_client_credentials_is_invalid_request(client):
    credentials = base64.b64encode(b"cc\x00app:secret").decode()
    response = client.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 400


def test_createapplication_without_algorithm_signs_id_tokens_with_rs256():
    call_command(
        "createapplication",
        "public",
        "authorization-code",
        "--name",
        "Mobile",
        "--redirect-uris",
        REDIRECT_URI,
        stdout=StringIO(),
    )
    assert OAuthApplication.objects.get(name="Mobile").algorithm == "RS256"
