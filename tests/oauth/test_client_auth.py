"""Client authentication at /o/token/, /o/revoke_token/ and /o/introspect/: budgets before hashing,
the fast hash of generated secrets, Argon2 for chosen ones, public clients and unknown client_ids."""

import base64
import json
from io import StringIO

import pytest
from django.contrib.auth import hashers
from django.core.management import call_command

from oauth.hashers import ClientSecretHasher, generate_client_secret, is_generated_secret
from oauth.models import OAuthApplication
from tests.oauth.helpers import CLIENT_SECRET, make_application

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/o/token/", "/o/revoke_token/", "/o/introspect/"]


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def client_credentials(client, client_id: str, secret: str, path: str = "/o/token/", **extra):
    data = {"grant_type": "client_credentials", "token": "x"}
    return client.post(path, data, HTTP_AUTHORIZATION=basic(client_id, secret), **extra)


@pytest.fixture
def job() -> tuple[OAuthApplication, str]:
    """A confidential client registered with `createapplication`: a generated secret."""
    out = StringIO()
    call_command(
        "createapplication",
        "confidential",
        "client-credentials",
        "--introspection",
        "--name",
        "Job",
        "--json",
        stdout=out,
    )
    credentials = json.loads(out.getvalue())
    return OAuthApplication.objects.get(client_id=credentials["client_id"]), credentials["client_secret"]


@pytest.fixture
def counted_hashes(monkeypatch) -> list[str]:
    """Every hasher run through Django's check_password, by algorithm of the stored hash."""
    runs: list[str] = []
    original = hashers.check_password

    def counting(password, encoded, *args, **kwargs):
        runs.append(hashers.identify_hasher(encoded).algorithm)
        return original(password, encoded, *args, **kwargs)

    monkeypatch.setattr("oauth2_provider.oauth2_validators.check_password", counting)
    monkeypatch.setattr("oauth.client_auth.check_password", counting)
    return runs


# --- Secrets: generated ones hashed fast, chosen ones with Argon2 -------------------------------


def test_generated_secret_carries_256_random_bits_and_the_marker():
    secret = generate_client_secret()

    assert is_generated_secret(secret)
    assert len(base64.urlsafe_b64decode(secret.removeprefix("ocs_") + "=")) == 32
    assert generate_client_secret() != secret


def test_generated_secret_is_stored_as_hmac_sha256_and_authenticates(client, job):
    app, secret = job

    response = client_credentials(client, app.client_id, secret)

    assert app.client_secret.startswith("client_secret_hmac_sha256$")
    assert secret not in app.client_secret
    assert response.status_code == 200, response.content


def test_chosen_secret_is_stored_with_argon2_and_authenticates(client):
    app = make_application(
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL,
        grant=OAuthApplication.GRANT_CLIENT_CREDENTIALS,
        redirect_uris="",
    )

    response = client_credentials(client, app.client_id, CLIENT_SECRET)

    assert app.client_secret.startswith("argon2$")
    assert response.status_code == 200, response.content


def test_row_hashed_before_the_fast_hasher_keeps_verifying(client):
    # A secret the toolkit generated and hashed with Argon2 before this change.
    legacy = "A" * 128
    app = make_application(
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL,
        grant=OAuthApplication.GRANT_CLIENT_CREDENTIALS,
        redirect_uris="",
    )
    OAuthApplication.objects.filter(pk=app.pk).update(client_secret=hashers.make_password(legacy, hasher="argon2"))

    assert client_credentials(client, app.client_id, legacy).status_code == 200


def test_fast_hasher_refuses_a_wrong_secret():
    encoded = ClientSecretHasher().encode(generate_client_secret(), "salt1234")

    assert not ClientSecretHasher().verify(generate_client_secret(), encoded)


def test_public_client_is_given_no_secret():
    assert make_application().client_secret == ""


# --- What is hashed: public clients, unknown client_ids ----------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_public_client_presenting_a_secret_is_refused_without_hashing(client, path, counted_hashes):
    app = make_application()

    response = client_credentials(client, app.client_id, "anything", path)

    assert response.status_code == 401
    assert counted_hashes == []


@pytest.mark.parametrize("path", ENDPOINTS)
def test_unknown_client_id_hashes_a_dummy_like_a_known_client(client, job, path, counted_hashes):
    app, _ = job

    unknown = client_credentials(client, "no-such-client", "wrong-secret", path)
    known = client_credentials(client, app.client_id, "wrong-secret", path)

    assert unknown.status_code == known.status_code == 401
    assert counted_hashes == ["client_secret_hmac_sha256", "client_secret_hmac_sha256"]


# --- Failure budgets, checked before hashing ----------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_client_id_over_its_failure_budget_gets_429_before_any_hashing(client, settings, job, path, counted_hashes):
    settings.OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT = "3/m"
    app, secret = job
    for n in range(3):
        assert client_credentials(client, app.client_id, "wrong", path, REMOTE_ADDR=f"192.0.2.{n}").status_code == 401
    hashed_before = len(counted_hashes)

    # From a fourth address: the budget is the client_id's. A wrong secret is refused before any slow hash...
    refused = client_credentials(client, app.client_id, "wrong", path, REMOTE_ADDR="192.0.2.9")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert refused.json()["code"] == "too_many_attempts"
    assert "argon2" not in counted_hashes[hashed_before:]
    # ...while the rightful client, whose generated secret costs one HMAC to check, is not locked out.
    assert client_credentials(client, app.client_id, secret, path, REMOTE_ADDR="192.0.2.9").status_code != 429


def test_client_with_a_chosen_secret_over_its_budget_gets_429_without_hashing(client, settings, counted_hashes):
    settings.OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT = "3/m"
    call_command(
        "createapplication",
        "confidential",
        "client-credentials",
        "--name",
        "Chosen",
        "--client-secret",
        "an operator-chosen secret",
        stdout=StringIO(),
    )
    app = OAuthApplication.objects.get(name="Chosen")
    for _ in range(3):
        assert client_credentials(client, app.client_id, "wrong").status_code == 401
    hashed_before = len(counted_hashes)

    refused = client_credentials(client, app.client_id, "an operator-chosen secret")

    assert refused.status_code == 429  # an Argon2 check is what the budget protects
    assert counted_hashes[hashed_before:] == []


def test_ip_over_its_failure_budget_gets_429_for_every_client_id(client, settings, job, counted_hashes):
    settings.OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_IP = "3/m"
    app, secret = job
    for n in range(3):
        assert client_credentials(client, f"unknown-{n}", "wrong", REMOTE_ADDR="2001:db8::1").status_code == 401
    hashed_before = len(counted_hashes)

    # Another address of the same IPv6 /64 shares the budget: a wrong secret gets 429 without a slow hash...
    refused = client_credentials(client, app.client_id, "wrong", REMOTE_ADDR="2001:db8::2")

    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert "argon2" not in counted_hashes[hashed_before:]
    # ...but a client behind the same address with its right generated secret is not locked out.
    assert client_credentials(client, app.client_id, secret, REMOTE_ADDR="2001:db8::2").status_code == 200
    assert client_credentials(client, app.client_id, secret, REMOTE_ADDR="2001:db8:1::1").status_code == 200


def test_successes_do_not_spend_the_budget(client, settings, job):
    settings.OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT = "3/m"
    settings.OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_IP = "3/m"
    app, secret = job

    statuses = [client_credentials(client, app.client_id, secret).status_code for _ in range(6)]

    assert statuses == [200] * 6


def test_limit_store_down_gets_503_with_retry_after(client, job, cache_down):
    app, secret = job
    cache_down()

    response = client_credentials(client, app.client_id, secret)

    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["code"] == "rate_limit_store_unavailable"
