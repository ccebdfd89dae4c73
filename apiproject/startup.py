"""Start-up checks of production configuration: required settings, key files, the Redis policy."""

import os
from collections.abc import Mapping


def missing_production_settings(required: Mapping[str, object], *, key_files: Mapping[str, str]) -> list[str]:
    """Return one line per problem: each empty required value, and each key file unset or unreadable.

    A pure function of its arguments, so that settings.py can call it before Django is set up.
    """
    missing = [f"{name} is not set" for name, value in required.items() if not value]
    for name, path in key_files.items():
        if not path:
            missing.append(f"{name} is not set")
        elif not os.path.isfile(path) or not os.access(path, os.R_OK):
            missing.append(f"{name}={path} is not a readable file")
    return missing


def redis_eviction_problem(*, policy: str, maxmemory: int) -> str | None:
    """Return why a Redis with this eviction setup cannot hold nonces, or None if it can.

    Every nonce carries a TTL (it must expire with its window), and under memory pressure the
    `allkeys-*` policies evict any key and the `volatile-*` ones exactly the keys with a TTL:
    an evicted nonce can be replayed. Only `noeviction` (writes fail, so requests get 503) or
    no memory limit at all (`maxmemory 0`) keeps every nonce until it expires.
    """
    if policy == "noeviction" or maxmemory == 0:
        return None
    return (
        f"the Redis of REDIS_URL has maxmemory-policy {policy} with maxmemory {maxmemory}: it can evict "
        "signature nonces (they carry a TTL) and let a replay through; set maxmemory-policy noeviction"
    )


def replay_store_check() -> None:
    """Refuse to start (ImproperlyConfigured) on a Redis whose eviction policy can lose nonces.

    Called by apiproject.wsgi and apiproject.asgi when a server starts. A Redis that cannot be
    reached is only logged: requests then get 503 until it answers, and a worker restarted
    during an outage must not take the whole server down. A Redis that refuses CONFIG GET (some
    managed services) refuses the start, unless API_REDIS_POLICY_CHECK=0 says the operator has
    set the policy and checked it.
    """
    import logging

    from django.conf import settings
    from django.core.cache import caches
    from django.core.exceptions import ImproperlyConfigured
    from django_redis.cache import RedisCache
    from redis.exceptions import ResponseError

    from apiproject.exceptions import CACHE_ERRORS

    cache = caches["default"]
    if not isinstance(cache, RedisCache) or not settings.API_REDIS_POLICY_CHECK:
        return
    try:
        config = cache.client.get_client(write=True).config_get("maxmemory*")
    except ResponseError as exc:
        raise ImproperlyConfigured(
            f"cannot read the maxmemory-policy of the Redis of REDIS_URL ({exc}); make it noeviction, "
            "then set API_REDIS_POLICY_CHECK=0"
        ) from exc
    except CACHE_ERRORS as exc:
        logging.getLogger(__name__).warning("maxmemory-policy not checked, Redis unreachable: %s", type(exc).__name__)
        return
    problem = redis_eviction_problem(
        policy=config.get("maxmemory-policy", ""), maxmemory=int(config.get("maxmemory", 0) or 0)
    )
    if problem:
        raise ImproperlyConfigured(problem)
