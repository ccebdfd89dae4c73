"""POST /signup/create-person: validated input, no duplicates, one token for one person, audited."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework import status
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from tests.accounts.factories import UserFactory
from tests.clients.factories import ApiCredentials
from tests.signup.factories import make_anonymous_token
from tests.signup.helpers import CREATE_PERSON, FIND_PERSON

pytestmark = pytest.mark.django_db

PERSON = {"username": "ada", "email": "Ada@Example.COM", "password": "analytical-engine-1843"}


# --- Success ---------------------------------------------------------------------------------


def test_valid_person_returns_201_with_id_and_username(signup_client):
    response = signup_client.post(CREATE_PERSON, PERSON, format="json")

    user = User.objects.get()
    assert response.status_code == status.HTTP_201_CREATED
    assert response.json() == {"id": user.pk, "username": "ada"}


def test_person_is_stored_with_hashed_password_and_normalised_email(signup_client):
    signup_client.post(CREATE_PERSON, PERSON, format="json")

    user = User.objects.get()
    assert user.email == "Ada@example.com"  # Django lowercases the domain, keeps the local part
    assert user.password.startswith("argon2$")
    assert user.check_password(PERSON["password"])
    assert user.is_active and not user.is_staff and not user.is_superuser


def test_created_person_is_audited_without_the_password(signup_client, api_key, anonymous_token):
    signup_client.post(CREATE_PERSON, PERSON, format="json")

    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PERSON_CREATED)
    assert (event.username, event.client_id, event.user) == ("ada", api_key.client.client_id, User.objects.get())
    assert event.detail["anonymous_sub"].startswith("anon:")
    assert PERSON["password"] not in json.dumps(event.detail)
    assert anonymous_token not in json.dumps(event.detail)


def test_extra_fields_cannot_make_a_staff_user(signup_client):
    signup_client.post(CREATE_PERSON, {**PERSON, "is_staff": True, "is_superuser": True}, format="json")

    user = User.objects.get()
    assert not user.is_staff and not user.is_superuser


def test_response_never_echoes_the_password(signup_client):
    response = signup_client.post(CREATE_PERSON, PERSON, format="json")

    assert PERSON["password"] not in response.content.decode()


# --- The token is spent ------------------------------------------------------------------------


def test_second_create_with_the_same_token_returns_401(signup_client):
    signup_client.post(CREATE_PERSON, PERSON, format="json")

    response = signup_client.post(
        CREATE_PERSON, {**PERSON, "username": "ada2", "email": "ada2@example.com"}, format="json"
    )

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"
    assert 'Bearer realm="api"' in response["WWW-Authenticate"]
    assert User.objects.count() == 1


def test_spent_token_opens_nothing_else(signup_client):
    signup_client.post(CREATE_PERSON, PERSON, format="json")

    assert signup_client.post(FIND_PERSON, {"username": "x"}, format="json").status_code == 401
    assert signup_client.get("/api/v1/whoami").status_code == 401


def test_weak_password_does_not_spend_the_token(signup_client):
    assert signup_client.post(CREATE_PERSON, {**PERSON, "password": "123"}, format="json").status_code == 400

    assert signup_client.post(CREATE_PERSON, PERSON, format="json").status_code == status.HTTP_201_CREATED


def test_duplicate_does_not_spend_the_token(signup_client):
    UserFactory(username="ada", email="someone@example.com")
    assert signup_client.post(CREATE_PERSON, PERSON, format="json").status_code == status.HTTP_409_CONFLICT

    response = signup_client.post(CREATE_PERSON, {**PERSON, "username": "ada.l"}, format="json")

    assert response.status_code == status.HTTP_201_CREATED


def test_username_taken_after_the_check_returns_409_and_hands_the_token_back(signup_client, monkeypatch):
    # Another request created "ada" between the duplicate check and the insert: the database's
    # unique index refuses it, and the token was not used up on a person who was not created.
    UserFactory(username="ada", email="someone@example.com")
    monkeypatch.setattr("signup.services.person_exists", lambda **lookup: False)

    response = signup_client.post(CREATE_PERSON, PERSON, format="json")

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json()["code"] == "duplicate"
    monkeypatch.undo()
    assert signup_client.post(CREATE_PERSON, {**PERSON, "username": "ada.l"}, format="json").status_code == 201


def test_token_store_down_returns_503_and_creates_no_one(signup_client, cache_down):
    cache_down()

    response = signup_client.post(CREATE_PERSON, PERSON, format="json")

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert not User.objects.exists()


# --- Passwords and duplicates ----------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "12345678901234", "ada-lovelace", "Ada@Example.com"],
    ids=["too-short", "common", "numeric", "like-username", "like-email"],
)
def test_weak_password_returns_400_and_creates_no_one(signup_client, password):
    person = {**PERSON, "username": "ada-lovelace"}

    response = signup_client.post(CREATE_PERSON, {**person, "password": password}, format="json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert list(response.json()) == ["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("existing", "person"),
    [
        ({"username": "ada"}, {"username": "ada"}),
        ({"username": "Ada"}, {"username": "ada"}),
        ({"username": "ada"}, {"username": "ａｄａ"}),
        ({"email": "ada@example.com"}, {"email": "ada@example.com"}),
        ({"email": "ada@example.com"}, {"email": "ADA@EXAMPLE.COM"}),
    ],
    ids=["same-username", "username-case", "username-fullwidth", "same-email", "email-case"],
)
def test_duplicate_returns_409_duplicate(signup_client, existing, person):
    UserFactory(**{"username": "someone", "email": "someone@example.com", **existing})

    response = signup_client.post(CREATE_PERSON, {**PERSON, **person}, format="json")

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json()["code"] == "duplicate"
    assert User.objects.count() == 1


# --- Bad input: 400, never 500 ---------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"username": None},
        {"username": ""},
        {"username": "a" * 151},
        {"username": "\ufdfa" * 10},
        {"username": "x" * 10_240},
        {"username": "ada\x00"},
        {"username": "ada lovelace"},
        {"username": "\u202eada"},
        {"username": ["ada"]},
        {"username": {"ada": 1}},
        {"username": True},
        {"email": None},
        {"email": "not-an-address"},
        {"email": "a" * 10_240 + "@example.com"},
        {"email": "ada@example.com\x00"},
        {"email": ["ada@example.com"]},
        {"email": 42},
        {"password": None},
        {"password": ""},
        {"password": "p" * 1025},
        {"password": "analytical\x00engine"},
        {"password": ["analytical-engine-1843"]},
        {"password": 18431843184318},
    ],
    ids=[
        "username-null",
        "username-empty",
        "username-151",
        "username-nfkc-grows-past-150",
        "username-10-kb",
        "username-null-byte",
        "username-space",
        "username-rtl-override",
        "username-array",
        "username-object",
        "username-boolean",
        "email-null",
        "email-invalid",
        "email-10-kb",
        "email-null-byte",
        "email-array",
        "email-number",
        "password-null",
        "password-empty",
        "password-over-1024",
        "password-null-byte",
        "password-array",
        "password-number",
    ],
)
def test_bad_field_returns_400_and_creates_no_one(signup_client, change):
    field = next(iter(change))

    response = signup_client.post(CREATE_PERSON, json.dumps({**PERSON, **change}), content_type="application/json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert field in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_missing_field_returns_400(signup_client, missing):
    person = {name: value for name, value in PERSON.items() if name != missing}

    response = signup_client.post(CREATE_PERSON, person, format="json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert missing in response.json()


@pytest.mark.parametrize("body", [[], "ada", None, 42], ids=["array", "string", "null", "number"])
def test_body_not_an_object_returns_400(signup_client, body):
    response = signup_client.post(CREATE_PERSON, json.dumps(body), content_type="application/json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST


@pytest.mark.parametrize(
    "person",
    [
        {"username": "李小龍", "email": "li@例え.jp"},
        {"username": "o.brien+1@home", "email": "o'brien+signup@example.co.uk"},
    ],
    ids=["unicode", "symbols"],
)
def test_odd_but_valid_person_returns_201(signup_client, person):
    response = signup_client.post(CREATE_PERSON, {**PERSON, **person}, format="json")

    assert response.status_code == status.HTTP_201_CREATED
    assert User.objects.get().username == person["username"]


# --- One token, many concurrent requests -----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_token_create_exactly_one_person(api_key: ApiCredentials):
    token = make_anonymous_token(api_key.client.client_id)
    start = threading.Barrier(8)

    def create(n: int) -> int:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Bearer {token}")
        person = {**PERSON, "username": f"ada{n}", "email": f"ada{n}@example.com"}
        try:
            start.wait()
            return client.post(CREATE_PERSON, person, format="json").status_code
        finally:
            connection.close()  # each thread has its own connection; the test database must be dropped

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(create, range(8)))

    assert sorted(codes) == [201] + [401] * 7
    assert User.objects.count() == 1
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PERSON_CREATED).count() == 1
