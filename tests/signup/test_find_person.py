"""POST /signup/find-person: a boolean, the same work either way, and three budgets."""

import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import status
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.clients.factories import make_api_client
from tests.signup.factories import make_anonymous_token
from tests.signup.helpers import CREATE_PERSON, FIND_PERSON

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return UserFactory(username="Ada", email="Ada.Lovelace@Example.com")


def bearer(client_id: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {make_anonymous_token(client_id)}"}


# --- The answer ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"email": "Ada.Lovelace@Example.com"},
        {"email": "ada.lovelace@example.com"},
        {"email": "ADA.LOVELACE@EXAMPLE.COM"},
        {"username": "Ada"},
        {"username": "ada"},
    ],
    ids=["email", "email-lowercase", "email-uppercase", "username", "username-lowercase"],
)
def test_existing_person_returns_exists_true(signup_client, ada, body):
    response = signup_client.post(FIND_PERSON, body, format="json")

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"exists": True}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("body", [{"email": "charles@example.com"}, {"username": "charles"}], ids=["email", "username"])
def test_unknown_person_returns_exists_false(signup_client, ada, body):
    response = signup_client.post(FIND_PERSON, body, format="json")

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"exists": False}


def test_trailing_slash_returns_200(signup_client):
    assert signup_client.post(FIND_PERSON + "/", {"username": "x"}, format="json").status_code == 200


def test_get_returns_405(signup_client):
    # POST only: an address in a query string would land in access logs and caches.
    assert signup_client.get(FIND_PERSON, {"email": "ada@example.com"}).status_code == 405


@pytest.mark.parametrize(
    "field,present,missing",
    [("email", "ada.lovelace@example.com", "charles@example.com"), ("username", "ada", "charles")],
    ids=["email", "username"],
)
def test_same_queries_whether_or_not_the_person_exists(signup_client, ada, field, present, missing):
    signup_client.post(FIND_PERSON, {field: missing}, format="json")  # warm the app key lookup
    with CaptureQueriesContext(connection) as hit:
        assert signup_client.post(FIND_PERSON, {field: present}, format="json").json() == {"exists": True}
    with CaptureQueriesContext(connection) as miss:
        assert signup_client.post(FIND_PERSON, {field: missing}, format="json").json() == {"exists": False}

    # The same statements in the same order; only the looked-up value differs.
    assert [q["sql"].replace(present, "?") for q in hit] == [q["sql"].replace(missing, "?") for q in miss]


# --- Bad input: 400, never 500 ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "ada@example.com", "username": "ada"},
        {"email": None},
        {"email": ""},
        {"email": "not-an-address"},
        {"email": "@"},
        {"email": "a@b@c"},
        {"email": "ada@example.com\x00"},
        {"email": "\ud800@example.com"},
        {"email": "a" * 10_240 + "@example.com"},
        {"email": "a@" + "b" * 250 + ".com"},
        {"email": 42},
        {"email": True},
        {"email": ["ada@example.com"]},
        {"email": {"$ne": None}},
        {"email": "ada@example.com\nBcc: eve@example.com"},
        {"username": None},
        {"username": ""},
        {"username": "   "},
        {"username": "ada lovelace"},
        {"username": "ada\x00"},
        {"username": "\u202eada"},
        {"username": "ada'; DROP TABLE accounts_user; --"},
        {"username": "a" * 151},
        {"username": "x" * 10_240},
        {"username": "\ufdfa" * 10},
        {"username": "😀"},
        {"username": False},
        {"username": ["ada"]},
        {"username": {"startswith": "a"}},
        [],
        [{"email": "ada@example.com"}],
        "ada@example.com",
        None,
    ],
    ids=[
        "nothing",
        "both",
        "email-null",
        "email-empty",
        "email-no-at",
        "email-only-at",
        "email-two-ats",
        "email-null-byte",
        "email-lone-surrogate",
        "email-10-kb",
        "email-over-254",
        "email-number",
        "email-boolean",
        "email-array",
        "email-object",
        "email-header-injection",
        "username-null",
        "username-empty",
        "username-blank",
        "username-space",
        "username-null-byte",
        "username-rtl-override",
        "username-sql",
        "username-151",
        "username-10-kb",
        "username-nfkc-grows-past-150",
        "username-emoji",
        "username-boolean",
        "username-array",
        "username-object",
        "body-empty-array",
        "body-array",
        "body-string",
        "body-null",
    ],
)
def test_bad_input_returns_400(signup_client, body):
    response = signup_client.post(FIND_PERSON, json.dumps(body), content_type="application/json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()  # DRF's field errors, e.g. {"email": ["Enter a valid email address."]}


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada@bücher.example"},
        {"email": "o'brien+signup@example.co.uk"},
        {"username": "ádá"},
        {"username": "李小龍"},
        {"username": "ada.lovelace+1@home"},
        {"username": 1815},
        {"username": "ａｄａ"},  # fullwidth: NFKC makes it "ada"
    ],
    ids=["idn-domain", "plus-and-quote", "accents", "cjk", "allowed-symbols", "number", "fullwidth"],
)
def test_odd_but_valid_input_returns_200(signup_client, body):
    response = signup_client.post(FIND_PERSON, json.dumps(body), content_type="application/json")

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"exists": False}


def test_fullwidth_username_finds_its_normalised_form(signup_client, ada):
    response = signup_client.post(FIND_PERSON, {"username": "Ａｄａ"}, format="json")

    assert response.json() == {"exists": True}


# --- Limits at their exact boundary ------------------------------------------------------------


@time_machine.travel(1_800_000_000, tick=False)
def test_lookups_past_the_tokens_budget_return_429_until_it_expires(app_client, api_key, settings):
    settings.SIGNUP_FIND_PERSON_LIMIT_PER_TOKEN = 10
    headers = bearer(api_key.client.client_id)
    codes = [
        app_client.post(FIND_PERSON, {"username": f"u{i}"}, format="json", **headers).status_code for i in range(10)
    ]

    response = app_client.post(FIND_PERSON, {"username": "u10"}, format="json", **headers)

    assert codes == [200] * 10
    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert response["Retry-After"] == "600"  # the token's remaining life: it will not recover
    assert response.json()["code"] == "throttled"


def test_tokens_budget_spans_its_whole_life_across_clock_windows(app_client, api_key, settings):
    # Issued a minute before a 600-second boundary of the clock: a clock-aligned window would
    # reset there and hand the same token a second budget.
    settings.SIGNUP_FIND_PERSON_LIMIT_PER_TOKEN = 2
    with time_machine.travel(1_800_000_000 - 60, tick=False):
        headers = bearer(api_key.client.client_id)
        for _ in range(2):
            assert app_client.post(FIND_PERSON, {"username": "u"}, format="json", **headers).status_code == 200
    with time_machine.travel(1_800_000_000 + 60, tick=False):
        response = app_client.post(FIND_PERSON, {"username": "u"}, format="json", **headers)

    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert response["Retry-After"] == "480"


def test_new_token_has_a_fresh_budget(app_client, api_key, settings):
    settings.SIGNUP_FIND_PERSON_LIMIT_PER_TOKEN = 1
    first, second = bearer(api_key.client.client_id), bearer(api_key.client.client_id)
    app_client.post(FIND_PERSON, {"username": "u"}, format="json", **first)

    assert app_client.post(FIND_PERSON, {"username": "u"}, format="json", **first).status_code == 429
    assert app_client.post(FIND_PERSON, {"username": "u"}, format="json", **second).status_code == 200


@time_machine.travel("2026-11-22 12:00:00", tick=False)
def test_lookups_past_the_ip_rate_return_429_whatever_the_token(app_client, api_key, settings):
    settings.SIGNUP_FIND_PERSON_RATE_PER_IP = "3/hour"
    codes = [
        app_client.post(FIND_PERSON, {"username": "u"}, format="json", **bearer(api_key.client.client_id)).status_code
        for _ in range(4)
    ]
    other_ip = app_client.post(
        FIND_PERSON, {"username": "u"}, format="json", REMOTE_ADDR="198.51.100.9", **bearer(api_key.client.client_id)
    )

    assert codes == [200, 200, 200, 429]
    assert other_ip.status_code == status.HTTP_200_OK


@time_machine.travel("2026-11-22 12:00:00", tick=False)
def test_ip_rate_returns_retry_after_to_the_end_of_its_window(app_client, api_key, settings):
    settings.SIGNUP_FIND_PERSON_RATE_PER_IP = "1/hour"
    app_client.post(FIND_PERSON, {"username": "u"}, format="json", **bearer(api_key.client.client_id))

    response = app_client.post(FIND_PERSON, {"username": "u"}, format="json", **bearer(api_key.client.client_id))

    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert response["Retry-After"] == "3600"


@time_machine.travel("2026-11-22 12:00:00", tick=False)
def test_lookups_past_the_apps_rate_return_429_from_any_ip(app_client, api_key, settings):
    settings.SIGNUP_FIND_PERSON_RATE_PER_APP = "3/hour"
    codes = [
        app_client.post(
            FIND_PERSON,
            {"username": "u"},
            format="json",
            REMOTE_ADDR=f"198.51.100.{i}",
            **bearer(api_key.client.client_id),
        ).status_code
        for i in range(4)
    ]
    other = make_api_client("Other app")
    other_app = APIClient().post(
        FIND_PERSON, {"username": "u"}, format="json", HTTP_X_API_KEY=other.key_id, **bearer(other.client.client_id)
    )

    assert codes == [200, 200, 200, 429]
    assert other_app.status_code == status.HTTP_200_OK


def test_create_person_attempts_count_against_the_tokens_lookups(signup_client, ada, settings):
    # A 409 from create-person says "exists" as clearly as find-person does.
    settings.SIGNUP_FIND_PERSON_LIMIT_PER_TOKEN = 2
    duplicate = {"username": "ada", "email": "other@example.com", "password": "analytical-engine-1843"}

    assert signup_client.post(CREATE_PERSON, duplicate, format="json").status_code == status.HTTP_409_CONFLICT
    assert signup_client.post(FIND_PERSON, {"username": "u"}, format="json").status_code == status.HTTP_200_OK
    assert signup_client.post(CREATE_PERSON, duplicate, format="json").status_code == 429
    assert signup_client.post(FIND_PERSON, {"username": "u"}, format="json").status_code == 429


def test_invalid_input_counts_against_the_budget(signup_client, settings):
    settings.SIGNUP_FIND_PERSON_LIMIT_PER_TOKEN = 1
    signup_client.post(FIND_PERSON, {"email": "not-an-address"}, format="json")

    assert signup_client.post(FIND_PERSON, {"username": "u"}, format="json").status_code == 429


def test_unauthenticated_requests_spend_no_budget(app_client, api_key, settings):
    settings.SIGNUP_FIND_PERSON_RATE_PER_IP = "1/hour"
    for _ in range(3):
        assert app_client.post(FIND_PERSON, {"username": "u"}, format="json").status_code == 401

    response = app_client.post(FIND_PERSON, {"username": "u"}, format="json", **bearer(api_key.client.client_id))

    assert response.status_code == status.HTTP_200_OK


def test_rate_limit_store_down_returns_503(signup_client, cache_down):
    cache_down()

    response = signup_client.post(FIND_PERSON, {"username": "u"}, format="json")

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
