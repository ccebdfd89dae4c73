"""The users that access tokens name: a copy per worker, checked against the shared store on every request.

A JWT or an OAuth2 access token proves whom it was issued to, not that they may still act: a
user deactivated or deleted since must be refused from the next request on (a deleted user's id
would otherwise reach a foreign key and fail with a 500). Reading the user's row does that at
the cost of a query per request. Instead each worker keeps the row (without the password hash,
which stays deferred) for API_KEY_CACHE_SECONDS under two generation tags
(apiproject.generations): the user's, renewed by every save or delete of that user, and the
table's, renewed by every queryset update() or upsert of users (accounts.models), each inside
the write's transaction and again once it commits (user_changed). Both are read on every
request, riding the round trip it makes anyway on Redis (the app's rate-limit count, or a DPoP
proof's jti), and a copy is used only while both are unchanged: every worker of every host sees
a deactivation or a deletion from the next request on, as it would with a query.

Raw SQL goes around both, and so, without Redis, does another process's write (a shell, a
cron job): the server sees those within API_KEY_CACHE_SECONDS (docs/jwt.md).
"""

import logging
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import transaction
from rest_framework.request import Request

from accounts.models import User
from apiproject.exceptions import CACHE_ERRORS
from apiproject.generations import GenerationRead, generation_next, generations_current, generations_read
from apiproject.identity import request_app
from apiproject.process_cache import ProcessCache
from clients.throttling import client_count

logger = logging.getLogger(__name__)

COPIES = 10_000  # per worker; a full cache drops its oldest copy
USERS_TAG = "gen:users"  # the whole table's tag


@dataclass(frozen=True, slots=True)
class _Copy:
    tags: tuple[str, ...]  # (the user's tag, the table's tag) when the row was read
    values: tuple | None  # the row's _fields(), None for a user that does not exist


_copies: ProcessCache | None = None


def _cache() -> ProcessCache:
    global _copies
    if _copies is None:
        _copies = ProcessCache(maxsize=COPIES, ttl=settings.API_KEY_CACHE_SECONDS)
    return _copies


@cache
def _fields() -> tuple[str, ...]:
    # Every column but the password hash: a view that checks a password loads it (a query).
    return tuple(field.attname for field in User._meta.concrete_fields if field.attname != "password")


def _user_id(subject: object) -> int | None:
    if not (isinstance(subject, str) and subject.isascii() and subject.isdigit() and len(subject) <= 19):
        return None
    return int(subject)


def _tag_keys(user_id: int) -> tuple[str, str]:
    return f"gen:user:{user_id}", USERS_TAG


def token_user_read(subject: object) -> GenerationRead | None:
    """Return a read of the tags of the user `sub` names, to ride a round trip made before token_user.

    A DPoP proof's jti claim (dpop.binding.token_binding_check) is such a trip: with its
    `rider`, the request still makes one. None if `sub` names nobody.
    """
    user_id = _user_id(subject)
    return GenerationRead(_tag_keys(user_id)) if user_id is not None else None


def _tags_read(request: Request, read: GenerationRead) -> tuple[str | None, ...]:
    # Done already if it rode the request's DPoP proof; else it rides the app's count (on Redis
    # one round trip: the count and the tags); else, or outside Redis, a read of its own.
    app = request_app(request)
    if not read.done and app is not None and app.counted is None:
        client_count(request, app, rider=read.rider)
    return read.tags if read.done else generations_read(read.keys)


def token_user(request: Request, subject: object, *, read: GenerationRead | None = None) -> User | None:
    """Return the active user a verified token's `sub` names, or None (inactive, deleted, not an id).

    No query while this worker's copy carries the current tags; one when it does not (first
    use, a change, or API_KEY_CACHE_SECONDS passed). The tags are read before the row, so a
    change committed in between leaves the new copy with outdated tags, refused next time.
    `read` (token_user_read) is the tags' read if it rode an earlier round trip. Raises
    ServiceUnavailable (503) when the shared store cannot be reached.
    """
    user_id = _user_id(subject)
    if user_id is None:
        return None
    read = read if read is not None else GenerationRead(_tag_keys(user_id))
    tags = _tags_read(request, read)
    copy = _cache().get(user_id)
    if copy is None or None in tags or copy.tags != tags:
        if None in tags:
            tags = generations_current(read.keys)
        copy = _Copy(tags=tags, values=User.objects.filter(pk=user_id).values_list(*_fields()).first())
        _cache().set(user_id, copy)
    if copy.values is None:
        return None
    user = User.from_db(User.objects.db, _fields(), copy.values)  # a new instance for every request
    return user if user.is_active else None


def user_changed(user_id: int | None) -> None:
    """Drop this worker's copy of the user (every copy if `user_id` is None); renew the tag now and once committed.

    Called for every save and delete of a user (accounts.receivers) and every queryset update
    or upsert (accounts.models), inside the write's transaction. Renewed now, so that every
    copy made before the change is refused even if the store fails after the commit; if the
    store cannot be reached now, the write is refused (503) rather than made unseen. Renewed
    again once committed, because another worker may have reloaded the row in between, before
    the change was there to be read, and kept the old row under the first new tag. If that
    second renewal fails, it is logged, and such a copy lives at most API_KEY_CACHE_SECONDS.
    """
    if user_id is None:
        _cache().clear()
    else:
        _cache().pop(user_id)
    key = USERS_TAG if user_id is None else _tag_keys(user_id)[0]
    generation_next(key)
    transaction.on_commit(lambda: _tag_renew(key))


def _tag_renew(key: str) -> None:
    try:
        generation_next(key)
    except CACHE_ERRORS:
        logger.exception("a user changed, but the new tag %s was not stored", key)


def user_cache_clear() -> None:
    """Forget every copy kept by this worker (tests)."""
    global _copies
    _copies = None
