"""`make loadtest`: requests/s, p50 and p99 per security layer through `make prod`'s whole stack.

A benchmark, not a test. It starts the stack `make prod` runs (nginx with TLS 1.3 in front of
gunicorn workers, PostgreSQL and Redis from DATABASE_URL and REDIS_URL, the same deploy/
configuration) on free ports, creates an app, a user with 20 purchases, a JWT and an OAuth2
token, then runs wrk (Debian's) at a fixed concurrency against each layer in turn:

    health      GET /api/v1/health, no authentication (the baseline)
    key         GET /api/v1/whoami with X-Api-Key
    signature   GET /api/v1/whoami signed (RFC 9421), every request with its own nonce
    jwt         GET /api/v1/whoami with a JWT access token and X-Api-Key
    oauth2      GET /api/v1/whoami with an OAuth2 (RFC 9068) access token
    purchases   GET /api/v1/purchases/ (20 rows) with a JWT and X-Api-Key: the full stack

Bars: no errors and no 5xx in any layer; `key` reaches at least 0.70 of `health`'s requests/s.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("health", "key", "signature", "jwt", "oauth2", "purchases")
KEY_BAR = 0.70


def _stack_env(var: Path) -> dict[str, str]:
    os.environ["PROD_VAR_DIR"] = str(var)
    from deploy import prod

    env = prod.production_env(tls_dir=var / "tls")
    # The benchmark measures the layers' cost, not the per-app throttle: lift it for this run.
    env["API_CLIENT_THROTTLE_RATE"] = "100000000/minute"
    env["GUNICORN_ACCESS_LOG"] = os.devnull
    env["GUNICORN_LOG_LEVEL"] = "warning"
    return env


def _fixtures(base: str, ca: Path, count: int) -> dict[str, list[str]]:
    """Create the app, user, purchases and tokens; return per layer the request lines for wrk."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apiproject.settings")
    django.setup()
    import requests
    from django.contrib.auth import get_user_model

    from accounts.services.refresh_tokens import token_pair_obtain
    from apiclient.signing import HttpSignatureAuth
    from clients.services import api_client_create
    from oauth.models import OAuthApplication
    from purchases.models import Purchase

    client, _, key_id, secret = api_client_create(name="loadtest")
    user = get_user_model().objects.create_user(f"loadtest-{client.client_id}", password=None)
    Purchase.objects.bulk_create(
        Purchase(owner=user, item=f"item {n}", quantity=1, unit_price="9.90") for n in range(20)
    )
    access = token_pair_obtain(user=user, client_id=client.client_id).access
    oauth_secret = "loadtest-" + secret
    app = OAuthApplication(
        name="loadtest",
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL,
        authorization_grant_type=OAuthApplication.GRANT_CLIENT_CREDENTIALS,
        client_secret=oauth_secret,
        algorithm=OAuthApplication.RS256_ALGORITHM,
    )
    app.save()
    token = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "client_credentials", "scope": "purchases:read"},
        auth=(app.client_id, oauth_secret),
        verify=str(ca),
        timeout=30,
    )
    token.raise_for_status()
    oauth2 = token.json()["access_token"]

    signer = HttpSignatureAuth(key_id, secret)
    # The replay store refuses what was signed before it first held a nonce (it cannot tell
    # whether such a nonce was used before it lost its memory, apiproject/replay.py): on a
    # fresh Redis, one signed call sets that moment, and the pre-signed requests come after it.
    first = requests.get(f"{base}/api/v1/whoami", auth=signer, verify=str(ca), timeout=30)
    first.raise_for_status()
    signed = []
    for _ in range(count):
        request = requests.Request("GET", f"{base}/api/v1/whoami").prepare()
        signer.sign(request)
        headers = "\t".join(f"{name}: {request.headers[name]}" for name in ("Signature-Input", "Signature"))
        signed.append(f"/api/v1/whoami\t{headers}")
    return {
        "health": ["/api/v1/health"],
        "key": [f"/api/v1/whoami\tX-Api-Key: {key_id}"],
        "signature": signed,
        "jwt": [f"/api/v1/whoami\tX-Api-Key: {key_id}\tAuthorization: Bearer {access}"],
        "oauth2": [f"/api/v1/whoami\tAuthorization: Bearer {oauth2}"],
        "purchases": [f"/api/v1/purchases/\tX-Api-Key: {key_id}\tAuthorization: Bearer {access}"],
    }


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(base: str, lines: list[str], *, threads: int, connections: int, seconds: int, work: Path) -> dict:
    """Run wrk against the requests in `lines`; return requests/s, p50, p99 (ms), errors, non-2xx."""
    requests_file = work / "requests.tsv"
    requests_file.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(ROOT / "benchmarks" / "wrk_requests.lua"),
            base,
        ],
        env={**os.environ, "WRK_REQUESTS": str(requests_file), "WRK_THREADS": str(threads)},
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _milliseconds(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99_ms": _milliseconds(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "socket_errors": errors.group(0) if errors else "",
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _median_run(rows: list[dict]) -> dict:
    """The run with the median requests/s, with the errors and non-2xx of every run added up."""
    median = sorted(rows, key=lambda row: row["rps"])[len(rows) // 2]
    return {
        **median,
        "errors": sum(row["errors"] for row in rows),
        "non_2xx": sum(row["non_2xx"] for row in rows),
        "requests": sum(row["requests"] for row in rows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="per layer and round [5]")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds, each layer once per round; the median is reported [3]"
    )
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections [16]")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers [deploy/gunicorn.conf.py]")
    args = parser.parse_args(argv)

    from deploy.stack import free_port, gunicorn_start, nginx_render, nginx_start, stop, tls_ensure, wait_until_serving

    with tempfile.TemporaryDirectory(prefix="apiproject-loadtest-") as scratch:
        work = Path(scratch)
        var = ROOT / "var"  # make prod's secrets and PKI, so the same keys serve both
        env = _stack_env(var)
        os.environ.update(env)
        from deploy import prod

        tls = tls_ensure(var / "tls")
        prod.database_ensure(env["DATABASE_URL"])
        prod.redis_check(env["REDIS_URL"])
        prod.manage(env, "migrate", "--noinput", "--verbosity", "0")
        prod.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        bind, https_port = f"127.0.0.1:{free_port()}", free_port()
        config = nginx_render(
            prefix=work / "nginx",
            tls=tls,
            upstream=bind,
            https_port=https_port,
            http_port=free_port(),
            max_body_bytes=1024 * 1024,
        )
        base = f"https://127.0.0.1:{https_port}"
        processes = []
        try:
            processes.append(gunicorn_start(bind=bind, env=env, workers=args.workers))
            processes.append(nginx_start(config))
            wait_until_serving(f"{base}/api/v1/health", ca=tls.ca, processes=processes)
            # Enough signed requests that none is sent twice: a generous upper bound on the rate.
            per_round = 3000 * args.seconds
            lines = _fixtures(base, tls.ca, count=per_round * args.rounds)
            runs: dict[str, list[dict]] = {layer: [] for layer in LAYERS}
            for round_ in range(args.rounds):
                # Rotate the order: a machine whose load drifts favours no layer.
                order = LAYERS[round_ % len(LAYERS) :] + LAYERS[: round_ % len(LAYERS)]
                for layer in order:
                    batch = lines[layer]
                    if len(batch) > 1:
                        batch = batch[round_ * per_round : (round_ + 1) * per_round]
                    runs[layer].append(
                        wrk(
                            base,
                            batch,
                            threads=args.threads,
                            connections=args.connections,
                            seconds=args.seconds,
                            work=work,
                        )
                    )
            results = {layer: _median_run(rows) for layer, rows in runs.items()}
        finally:
            stop(processes)

    health = results["health"]["rps"]
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.seconds}s x {args.rounds} rounds (median) "
        "through nginx (TLS 1.3) and gunicorn\n"
    )
    print("| layer | requests/s | ratio to health | p50 ms | p99 ms | requests (all rounds) | errors | non-2xx |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for layer, row in results.items():
        print(
            f"| `{layer}` | {row['rps']:.0f} | {row['rps'] / health:.2f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['requests']} | {row['errors']} | {row['non_2xx']} |"
        )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "loadtest.json").write_text(json.dumps(results, indent=2))
    failed = [layer for layer, row in results.items() if row["errors"] or row["non_2xx"]]
    ratio = results["key"]["rps"] / health
    print(f"\nkey / health = {ratio:.2f} (bar {KEY_BAR}); layers with errors or non-2xx: {failed or 'none'}")
    return 0 if not failed and ratio >= KEY_BAR else 1


if __name__ == "__main__":
    sys.exit(main())
