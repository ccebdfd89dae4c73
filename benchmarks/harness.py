"""Measure what each security layer costs per request, relative to the health baseline.

Requests go straight into Django's WSGI handler (no socket, no test client), so the numbers
are the framework's and the layer's own. Each round times a batch of every variant, in a freshly
shuffled order, so drift on a busy machine hits them all alike; each request is timed on its
own, and the median and 90th percentile over all rounds are reported.
"""

import io
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection


@dataclass
class BenchRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    expect: int = 200


def wsgi_environ(request: BenchRequest) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": request.method,
        "PATH_INFO": request.path.split("?")[0],
        "QUERY_STRING": request.path.partition("?")[2],
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_USER_AGENT": "apiproject-bench/1.0",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if request.body:
        environ["CONTENT_LENGTH"] = str(len(request.body))
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ[f"HTTP_{key}"] = value
    return environ


class Counters:
    """Counts database queries and cache round trips while installed."""

    CACHE_METHODS = (
        "get",
        "set",
        "add",
        "incr",
        "decr",
        "delete",
        "has_key",
        "touch",
        "get_many",
        "set_many",
    )
    # apiproject.cache.LocalCache's store of claims and counters: each call is one step.
    STORE_METHODS = ("claim", "incr", "claim_and_incr")

    def __init__(self) -> None:
        self.queries = 0
        self.cache_trips = 0
        self._undo: list[Callable[[], None]] = []

    def __enter__(self) -> "Counters":
        def count_query(execute, sql, params, many, context):
            self.queries += 1
            return execute(sql, params, many, context)

        wrapper = connection.execute_wrapper(count_query)
        wrapper.__enter__()
        self._undo.append(lambda: wrapper.__exit__(None, None, None))
        cache = caches["default"]
        if isinstance(cache, LocMemCache):
            # In process there is no network: count operations that would each be a trip.
            for name in self.CACHE_METHODS:
                if hasattr(cache, name):
                    self._wrap(cache, name)
            store = getattr(cache, "store", None)
            for name in self.STORE_METHODS if store is not None else ():
                self._wrap(store, name)
        else:
            from redis.connection import AbstractConnection

            # One send_packed_command per network round trip, pipelines included.
            self._wrap(AbstractConnection, "send_packed_command")
        return self

    def _wrap(self, owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def counted(*args, **kwargs):
            self.cache_trips += 1
            return original(*args, **kwargs)

        setattr(owner, name, counted)
        self._undo.append(lambda: setattr(owner, name, original) if owner.__dict__.get(name) is counted else None)

    def __exit__(self, *exc: object) -> None:
        for undo in reversed(self._undo):
            undo()
        # Instances got attributes; drop them so the class methods show through again.
        cache = caches["default"]
        for name in self.CACHE_METHODS:
            cache.__dict__.pop(name, None)
        store = getattr(cache, "store", None)
        for name in self.STORE_METHODS if store is not None else ():
            store.__dict__.pop(name, None)


@dataclass
class Result:
    name: str
    seconds_per_request: float  # median
    p90_seconds: float
    queries_per_request: float
    cache_trips_per_request: float
    ratio: float = 1.0


def run(variants: dict[str, Callable[[], BenchRequest]], *, rounds: int, batch: int) -> list[Result]:
    """Time each variant's requests; return results with ratios to the `health` variant."""
    handler = WSGIHandler()

    def start_response(status: str, headers: list) -> None:
        pass

    def call(request: BenchRequest) -> int:
        response = handler(wsgi_environ(request), start_response)
        status = response.status_code
        response.close()
        return status

    for name, make in variants.items():  # warm up, and refuse to measure an error path
        for _ in range(20):
            request = make()
            status = call(request)
            if status != request.expect:
                raise SystemExit(f"variant {name!r}: {request.method} {request.path} answered {status}")

    timings: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants)
    clock = time.perf_counter
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            make = variants[name]
            requests = [make() for _ in range(batch)]  # built outside the clock (signing is the client's cost)
            for request in requests:
                started = clock()
                call(request)
                timings[name].append(clock() - started)

    results = []
    for name, make in variants.items():
        requests = [make() for _ in range(batch)]
        with Counters() as counters:
            for request in requests:
                call(request)
        results.append(
            Result(
                name=name,
                seconds_per_request=statistics.median(timings[name]),
                p90_seconds=statistics.quantiles(timings[name], n=10)[-1],
                queries_per_request=counters.queries / batch,
                cache_trips_per_request=counters.cache_trips / batch,
            )
        )
    baseline = next(r for r in results if r.name == "health").seconds_per_request
    for result in results:
        result.ratio = baseline / result.seconds_per_request
    return results
