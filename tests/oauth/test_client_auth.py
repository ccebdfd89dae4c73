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


def registered(name: str, *options: str) -> tuple[OAuthApplication, str]:
    """A confidential client registered with `createapplication`: a generated secret."""
    out = StringIO()
    call_command(
        "createapplication", "confidential", "client-credentials", *options, "--name", name, "--json", stdout=out
    )
    credentials = json.loads(out.getvalue())
    return OAuthApplication.objects.get(client_id=credentials["client_id"]), credentials["client_secret"]


@pytest.fixture
def job() -> tuple[OAuthApplication, str]:
    """A confidential client registered with `createapplication`: a generated secret."""
    return registered("Job", "--introspection")


@pytest.fixture
def own() -> tuple[OAuthApplication, str]:
    """An attacker's own confidential client, whose generated secret the attacker knows."""
    return registered("Own")


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


# --- The budgets count against the client whose secret is checked ------------------------------
# django-oauth-toolkit reads Basic its own way (`split(" ", 1)`, exactly `Basic`, lenient base64)
# and, when Basic fails, tries the form body. Each form below carries the attacker's own client
# in the header and the victim's credentials in the body: before, the budgets counted the header's
# client while the toolkit checked the body's secret against the victim.


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BASIC_READ_OTHERWISE = {
    "two-spaces": lambda pair: "Basic  " + b64(pair),
    "lower-case-scheme": lambda pair: "basic " + b64(pair),
    "upper-case-scheme": lambda pair: "BASIC " + b64(pair),
    "not-strict-base64": lambda pair: "Basic " + b64(pair) + "!",
    "no-colon": lambda pair: "Basic " + b64(pair.partition(":")[0]),
}


def with_body_credentials(client, path: str, authorization: str, client_id: str, secret: str, **extra):
    data = {"grant_type": "client_credentials", "token": "x", "client_id": client_id, "client_secret": secret}
    return client.post(path, data, HTTP_AUTHORIZATION=authorization, **extra)


@pytest.mark.parametrize("form", BASIC_READ_OTHERWISE)
@pytest.mark.parametrize("path", ENDPOINTS)
def test_basic_header_the_budget_cannot_read_is_invalid_client_whatever_the_body_says(client, job, own, path, form):
    victim, victim_secret = job
    attacker, attacker_secret = own
    authorization = BASIC_READ_OTHERWISE[form](f"{attacker.client_id}:{attacker_secret}")

    response = with_body_credentials(client, path, authorization, victim.client_id, victim_secret)

    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_failed_basic_does_not_fall_back_to_the_body_and_counts_against_the_basic_client(
    client, settings, job, own, path
):
    settings.OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT = "3/m"
    victim, victim_secret = job
    attacker, _ = own
    for n in range(3):
        response = with_body_credentials(
            client,
            path,
            basic(attacker.client_id, "wrong"),
            victim.client_id,
            victim_secret,
            REMOTE_ADDR=f"192.0.2.{n}",
        )
        assert response.status_code == 401, response.content

    # The three failures were the header's client's: its budget is spent, the victim's is not.
    assert client_credentials(client, attacker.client_id, "wrong", path, REMOTE_ADDR="192.0.2.9").status_code == 429
    assert client_credentials(client, victim.client_id, victim_secret, path, REMOTE_ADDR="192.0.2.9").status_code == 200


@pytest.mark.parametrize("form", ["lower-case-scheme", "upper-case-scheme"])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_own_generated_secret_does_not_let_body_guesses_past_a_spent_ip_budget(client, settings, job, own, path, form):
    settings.OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_IP = "3/m"
    victim, victim_secret = job
    attacker, attacker_secret = own
    for n in range(3):
        assert client_credentials(client, f"unknown-{n}", "wrong", path, REMOTE_ADDR="198.51.100.7").status_code == 401
    authorization = BASIC_READ_OTHERWISE[form](f"{attacker.client_id}:{attacker_secret}")

    # Over budget only a matching generated secret gets through, and only for its own client.
    response = with_body_credentials(
        client, path, authorization, victim.client_id, victim_secret, REMOTE_ADDR="198.51.100.7"
    )

    assert response.status_code == 429, response.content
