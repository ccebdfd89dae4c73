"""Where a signed request's time goes: `python -m benchmarks.signature_steps [--rounds N]`.

Two measurements, each in one run of the harness with the `health`, `key` and `signature`
variants:

1. Each verification step of HttpSignatureAuthentication, timed on its own (median µs per
   request; the timer adds about 0.1 µs per step).
2. The same ratios with the Structured Field work taken off the clock: each request's
   Signature-Input and Signature are parsed, and @signature-params serialised, while the
   request is built, and the server looks the result up. Not a way to run the server: it
   shows how much of the gap to `key` is the `http_sf` library, which the contract requires.
"""

import argparse
import functools
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

from benchmarks.run import _variants, benchmark_database, variant_makers

STEPS = {
    "signatures.authentication": ("request_message", "api_key_lookup", "identify_app", "nonce_accept"),
    "signatures.message_signatures": (
        "parse_signature",
        "check_coverage",
        "check_freshness",
        "verify_signature",
        "verify_content_digest",
    ),
}


def _timed(function: Callable, into: list[float]) -> Callable:
    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - started)

    return timed


def _ratios(results) -> str:
    return "   ".join(f"{r.name} {r.seconds_per_request * 1e6:.1f} µs ({r.ratio:.3f})" for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--batch", type=int, default=300)
    args = parser.parse_args()

    with benchmark_database():
        import importlib

        from benchmarks.harness import run
        from signatures import message_signatures as signatures

        makers = variant_makers(_variants(["key", "signature"]))

        timings: dict[str, list[float]] = defaultdict(list)
        originals = []
        for module_name, names in STEPS.items():
            module = importlib.import_module(module_name)
            for name in names:
                originals.append((module, name, getattr(module, name)))
                setattr(module, name, _timed(getattr(module, name), timings[name]))
        try:
            results = run(makers, rounds=args.rounds, batch=args.batch)
        finally:
            for module, name, original in originals:
                setattr(module, name, original)
        print("Steps of a signed request (median µs):")
        for name in (name for names in STEPS.values() for name in names):
            print(f"  {name:<22} {statistics.median(timings[name]) * 1e6:6.1f}")
        print(f"As shipped:           {_ratios(results)}")

        parsed: dict[str, signatures.Signature] = {}
        make_signed, parse = makers["signature"], signatures.parse_signature

        def make_preparsed():
            request = make_signed()
            message = signatures.Message("GET", "http", "testserver", "/", None, request.headers, b"")
            parsed[request.headers["Signature"]] = parse(message)
            return request

        signatures.parse_signature = lambda message: parsed[message.headers["Signature"]]
        try:
            results = run({**makers, "signature": make_preparsed}, rounds=args.rounds, batch=args.batch)
        finally:
            signatures.parse_signature = parse
        print(f"Parsed off the clock: {_ratios(results)}")


if __name__ == "__main__":
    main()
