"""Run the benchmarks: `python -m benchmarks.run [--rounds N] [--batch N] [variant ...]`.

Every module in benchmarks/variants/ is a variant: it defines `build(ctx) -> () -> BenchRequest`.
The database is a throwaway test database (SQLite, or PostgreSQL when DATABASE_URL is set);
the cache is Redis when REDIS_URL is set, otherwise the in-process cache.
"""

import argparse
import contextlib
import importlib
import json
import os
import pkgutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _environment() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.environment import benchmark_environment

    benchmark_environment()


def _variants(names: list[str]) -> dict:
    from benchmarks import variants

    modules = {info.name: f"benchmarks.variants.{info.name}" for info in pkgutil.iter_modules(variants.__path__)}
    chosen = names or sorted(modules, key=lambda name: (name != "health", name))
    unknown = set(chosen) - set(modules)
    if unknown:
        raise SystemExit(f"unknown variants: {', '.join(sorted(unknown))}; known: {', '.join(sorted(modules))}")
    if "health" not in chosen:
        chosen = ["health", *chosen]
    return {name: importlib.import_module(modules[name]) for name in chosen}


@contextlib.contextmanager
def benchmark_database() -> Iterator[None]:
    """Set Django up on a throwaway database and an empty cache; drop the database afterwards."""
    _environment()
    import django
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    django.setup()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from django.core.cache import caches

    from apiproject.replay import replay_epoch_forget

    caches["default"].clear()
    # A flushed store refuses signatures made before its first claim (apiproject.replay); the
    # benchmark signs its requests ahead of time, and has replayed nothing.
    replay_epoch_forget()
    try:
        yield
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def variant_makers(modules: dict) -> dict:
    """Build each variant's request maker, sharing one set of fixtures (benchmarks.context)."""
    from benchmarks.context import Context

    context = Context()
    return {name: module.build(context) for name, module in modules.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("variants", nargs="*")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    with benchmark_database():
        from django.conf import settings
        from django.db import connection

        from benchmarks.harness import run

        modules = _variants(args.variants)
        makers = variant_makers(modules)
        results = run(makers, rounds=args.rounds, batch=args.batch)

    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    rows = [
        {
            "variant": r.name,
            "what": (modules[r.name].__doc__ or "").strip().splitlines()[0],
            "us_median": round(r.seconds_per_request * 1e6, 1),
            "us_p90": round(r.p90_seconds * 1e6, 1),
            "ratio": round(r.ratio, 3),
            "queries_per_request": round(r.queries_per_request, 3),
            "cache_trips_per_request": round(r.cache_trips_per_request, 3),
        }
        for r in results
    ]
    RESULTS.mkdir(exist_ok=True)
    report = {"cache": cache, "database": connection.vendor, "rows": rows}
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    if args.json:
        print(json.dumps(report))
        return
    print(f"database: {connection.vendor}   cache: {cache}   rounds: {args.rounds} x {args.batch} requests")
    print(f"{'variant':<12} {'median µs':>9} {'p90 µs':>8} {'ratio':>6} {'queries':>8} {'cache':>6}  what")
    for row in rows:
        print(
            f"{row['variant']:<12} {row['us_median']:>9} {row['us_p90']:>8} {row['ratio']:>6} "
            f"{row['queries_per_request']:>8} {row['cache_trips_per_request']:>6}  {row['what']}"
        )


if __name__ == "__main__":
    main()
