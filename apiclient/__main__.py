"""Sign (and optionally encrypt) one request from the command line: `python -m apiclient URL`.

    export APICLIENT_KEY_ID=... APICLIENT_SECRET=...
    python -m apiclient https://api.example.com/api/v1/whoami
    python -m apiclient -X POST --json '{"item": "book", "quantity": 1, "unit_price": "9.90"}' \\
        -H "Authorization: Token ..." --encrypt --print-base https://api.example.com/api/v1/purchases/
    python -m apiclient --pin "$PIN" --cert app.pem --key app-key.pem --cacert ca.pem https://127.0.0.1:8443/api/v1/whoami
    python -m apiclient pin --cacert ca.pem https://127.0.0.1:8443     # prints the server's key pin

The credentials come from the environment, never from arguments, which other users of the
machine can read in the process list. The response body goes to stdout, its status to stderr;
the exit status is 0 for a 2xx or 3xx response and 1 otherwise.
"""

import argparse
import json
import os
import sys

import requests

from apiclient.pinning import PinnedSession, server_pin
from apiclient.signing import HttpSignatureAuth


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m apiclient",
        description="Send one RFC 9421 signed request.",
        epilog="environment: APICLIENT_KEY_ID (the app's key_id) and APICLIENT_SECRET (its secret), both required; "
        "they are read from the environment, never from arguments, which the process list shows.",
    )
    parser.add_argument("url")
    parser.add_argument("-X", "--method", default=None, help="HTTP method (default GET, or POST with a body)")
    parser.add_argument("--json", dest="json_body", help="a JSON body, sent as application/json")
    parser.add_argument("-H", "--header", action="append", default=[], help='an extra header, "Name: value"')
    parser.add_argument("--encrypt", action="store_true", help="encrypt the body and the response (JWE)")
    parser.add_argument("--print-base", action="store_true", help="print the signature base to stderr")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument(
        "--pin", action="append", default=[], metavar="SHA256", help="accept only a server key with this pin (repeat)"
    )
    parser.add_argument("--cert", help="client certificate (PEM) for mutual TLS")
    parser.add_argument("--key", help="its private key (PEM), if not in the --cert file")
    parser.add_argument("--cacert", help="CA bundle that verifies the server (default: the system's)")
    parser.add_argument("--unsigned", action="store_true", help="send no signature (mutual TLS alone names the app)")
    return parser.parse_args(argv)


def _pin_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m apiclient pin", description="Print an HTTPS server's key pin.")
    parser.add_argument("url", help="https://HOST[:PORT]")
    parser.add_argument("--cacert", help="CA bundle that verifies the server (default: the system's)")
    args = parser.parse_args(argv)
    try:
        print(server_pin(args.url, cafile=args.cacert))
    except (OSError, ValueError) as exc:
        print(f"apiclient pin: {args.url}: {exc}", file=sys.stderr)
        return 1
    return 0


def _headers(values: list[str]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, separator, content = value.partition(":")
        if not separator or not name.strip():
            raise ValueError(f'a header is "Name: value", not {value!r}')
        headers[name.strip()] = content.strip()
    return headers


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["pin"]:
        return _pin_command(argv[1:])
    args = _arguments(argv)
    try:
        key_id, secret = ("", "") if args.unsigned else (os.environ["APICLIENT_KEY_ID"], os.environ["APICLIENT_SECRET"])
    except KeyError as missing:
        print(f"set {missing.args[0]} in the environment (or --unsigned with --cert)", file=sys.stderr)
        return 2
    try:
        headers = _headers(args.header)
        body = None if args.json_body is None else json.dumps(json.loads(args.json_body)).encode()
    except ValueError as exc:
        print(f"apiclient: {exc}", file=sys.stderr)
        return 2
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
    method = args.method or ("POST" if body is not None else "GET")

    auth = None if args.unsigned else HttpSignatureAuth(key_id, secret, encrypt=args.encrypt)
    try:
        request = requests.Request(method.upper(), args.url, headers=headers, data=body).prepare()
    except requests.RequestException as exc:  # no scheme, no host, an invalid URL
        print(f"apiclient: {exc}", file=sys.stderr)
        return 2
    if auth is not None and args.encrypt:
        auth.encrypt_body(request)
    if auth is not None:
        base = auth.sign(request)
        if args.print_base:
            print(base.decode(), file=sys.stderr)
    cert = (args.cert, args.key) if args.cert and args.key else args.cert
    try:
        with PinnedSession(pin_sha256=args.pin, cert=cert) as session:
            response = session.send(request, timeout=args.timeout, verify=args.cacert or True, cert=cert)
    except requests.RequestException as exc:
        # One line, not a traceback: the server is down, the name does not resolve, TLS failed...
        print(f"apiclient: {request.method} {request.url} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if auth is not None and args.encrypt:
        auth.decrypt_response(response)
    print(f"HTTP {response.status_code}", file=sys.stderr)
    print(response.text)
    return 0 if response.status_code < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
