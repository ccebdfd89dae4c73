"""Each worker's copy of a token's user (accounts/user_cache.py): used only while its tags are current."""

import logging
import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts import user_cache
from accounts.models import User
from accounts.services.refresh_tokens import token_pair_obtain
from accounts.user_cache import token_user
from apiproject.generations import generations_forget
from tests.accounts.test_authentication_jwt import WHOAMI, assert_rejected, bearer


@pytest.fixture
def client(api_client, api_key, user):
    pair = token_pair_obtain(user=user, client_id=api_key.client.client_id)
    return bearer(api_client, api_key, pair.access)


def another_workers_copy(user) -> object:
    """Return this worker's copy of `user`: put back after a change, it is what another worker still holds."""
    copy = user_cache._cache().get(user.pk)
    assert copy is not None and copy.values is not None
    return copy


# --- the copy ------------------------------------------------------------------------------------


def test_second_request_uses_the_copy_without_a_query(client, user):
    assert client.get(WHOAMI).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        response = client.get(WHOAMI)

    assert response.status_code == 200
    assert not [query for query in queries if "accounts_user" in query["sql"]]


def test_every_request_gets_its_own_user_instance(db, user):
    request = RequestFactory().get(WHOAMI)

    first, second = token_user(request, str(user.pk)), token_user(request, str(user.pk))
    first.first_name = "changed in one request"

    assert first is not second
    assert second.first_name == user.first_name


def test_copy_holds_no_password_hash_and_checking_one_reads_it(db, user):
    request = RequestFactory().get(WHOAMI)
    token_user(request, str(user.pk))

    copied = token_user(request, str(user.pk))

    assert "password" in copied.get_deferred_fields()
    assert user.password not in repr(another_workers_copy(user))
    assert copied.check_password("wrong") is False  # loads the hash (a query), compares
    assert copied.password == User.objects.get(pk=user.pk).password


@pytest.mark.parametrize(
    "subject",
    ["", "abc", "-1", "1.0", " 1", "1" * 20, "١", 1, None, ["1"]],
    ids=["empty", "letters", "negative", "decimal", "space", "too-long", "arabic-digit", "int", "none", "list"],
)
def test_subject_that_is_not_a_user_id_names_nobody(db, subject):
    with CaptureQueriesContext(connection) as queries:
        assert token_user(RequestFactory().get(WHOAMI), subject) is None
    assert len(queries) == 0


def test_unknown_user_id_names_nobody_and_is_remembered(db):
    request = RequestFactory().get(WHOAMI)
    assert token_user(request, "999999") is None

    with CaptureQueriesContext(connection) as queries:
        assert token_user(request, "999999") is None
    assert len(queries) == 0


# --- changes: this worker and the others -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_deactivation_refuses_another_workers_copy(client, user):
    assert client.get(WHOAMI).status_code == 200
    stale = another_workers_copy(user)

    user.is_active = False
    user.save()  # commits: the user's tag is renewed
    user_cache._cache().set(user.pk, stale)

    assert_rejected(client.get(WHOAMI))


@pytest.mark.django_db(transaction=True)
def test_deletion_refuses_another_workers_copy_everywhere_with_401(client, user):
    assert client.get(WHOAMI).status_code == 200
    stale = another_workers_copy(user)

    User.objects.filter(pk=user.pk).delete()  # a queryset delete still sends post_delete per row

    for method, path, body in [
        ("get", WHOAMI, None),
        ("post", "/api/v1/purchases/", {"item": "Book", "quantity": 1, "unit_price": "1.00"}),
        ("post", "/api/v1/auth/logout-all", None),
    ]:
        user_cache._cache().set(user.pk, stale)
        assert_rejected(getattr(client, method)(path, body, format="json"))


@pytest.mark.django_db(transaction=True)
def test_queryset_update_refuses_every_workers_copy(client, user):
    assert client.get(WHOAMI).status_code == 200
    stale = another_workers_copy(user)

    User.objects.filter(pk=user.pk).update(is_active=False)  # renews the table's tag
    user_cache._cache().set(user.pk, stale)

    assert_rejected(client.get(WHOAMI))


@pytest.mark.django_db(transaction=True)
def test_copy_loaded_while_a_change_was_in_flight_is_refused(client, user):
    assert client.get(WHOAMI).status_code == 200
    stale = another_workers_copy(user)  # tags read, row read ... and then the change commits:

    user.username = "renamed"
    user.save()
    user_cache._cache().set(user.pk, stale)  # ... and the old row is stored under the old tags

    assert client.get(WHOAMI).json()["user"] == "renamed"


@pytest.mark.django_db(transaction=True)
def test_lost_tags_are_never_trusted(client, user):
    assert client.get(WHOAMI).status_code == 200
    stale = another_workers_copy(user)
    with connection.cursor() as cursor:  # a change no signal reports: only a lost tag can reveal it
        cursor.execute("UPDATE accounts_user SET is_active = %s WHERE id = %s", [False, user.pk])

    caches["default"].clear()  # Redis flushed or restarted (or, in process, the tags forgotten)
    generations_forget()
    user_cache._cache().set(user.pk, stale)

    assert_rejected(client.get(WHOAMI))


def test_change_without_commit_is_seen_by_this_worker_at_once(client, user):
    # In one transaction (here, the test's), the copy is dropped at the save, not at the commit.
    assert client.get(WHOAMI).status_code == 200

    user.is_active = False
    user.save()

    assert_rejected(client.get(WHOAMI))


def test_raw_sql_change_is_seen_within_the_copy_lifetime(settings, client, user):
    settings.API_KEY_CACHE_SECONDS = 0.3
    user_cache.user_cache_clear()  # the copies' lifetime is read when their cache is made
    assert client.get(WHOAMI).status_code == 200
    with connection.cursor() as cursor:  # around the ORM: no tag is renewed (documented limit)
        cursor.execute("UPDATE accounts_user SET is_active = %s WHERE id = %s", [False, user.pk])

    within = client.get(WHOAMI)
    time.sleep(0.4)
    after = client.get(WHOAMI)

    assert within.status_code == 200
    assert_rejected(after)


# --- the shared store -------------------------------------------------------------------------------


def test_tag_not_stored_after_the_commit_is_logged_and_the_save_stands(
    monkeypatch, caplog, user, django_capture_on_commit_callbacks
):
    def unreachable(key: str) -> None:
        raise RedisConnectionError("down")

    with django_capture_on_commit_callbacks() as after_commit:
        user.first_name = "Saved"
        user.save()  # the first renewal, inside the transaction, reached the store
    monkeypatch.setattr(user_cache, "generation_next", unreachable)  # ... which then fails
    with caplog.at_level(logging.ERROR, logger="accounts.user_cache"):
        for callback in after_commit:
            callback()

    assert User.objects.get(pk=user.pk).first_name == "Saved"
    assert [record.getMessage() for record in caplog.records] == [
        f"a user changed, but the new tag gen:user:{user.pk} was not stored"
    ]


@pytest.mark.django_db(transaction=True)
def test_write_the_store_cannot_hear_of_is_refused_and_nothing_is_written(monkeypatch, user):
    def unreachable(key: str) -> None:
        raise RedisConnectionError("down")

    monkeypatch.setattr(user_cache, "generation_next", unreachable)
    user.is_active = False

    with pytest.raises(RedisConnectionError):
        user.save()  # a deactivation that some worker could not see is not made (the API answers 503)

    assert User.objects.get(pk=user.pk).is_active is True


@pytest.mark.redis
def test_store_down_answers_503_not_500(client, cache_down):
    assert client.get(WHOAMI).status_code == 200

    cache_down()
    response = client.get(WHOAMI)

    assert response.status_code == 503
    assert response.json()["code"] == "rate_limit_store_unavailable"
    assert "Retry-After" in response
