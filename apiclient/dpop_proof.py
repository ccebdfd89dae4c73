"""Print one DPoP proof, for curl: `python -m apiclient.dpop_proof --key FILE METHOD URL [--token T]`.

    curl -H "DPoP: $(python -m apiclient.dpop_proof --key dpop.pem POST https://api.example.com/o/token/)" ...

The key file is created (owner-only) on first use and reused after, so every token obtained
with its proofs stays usable with later ones.
"""

import argparse

from apiclient.dpop import DPoPKey


def main(argv: list[str] | None = None) -> int:
    """Print one proof for METHOD URL (with --token, for a call with that token)."""
    parser = argparse.ArgumentParser(
        prog="python -m apiclient.dpop_proof", description="Print one DPoP proof (RFC 9449)."
    )
    parser.add_argument("--key", required=True, help="PEM file of the DPoP key; created (mode 0600) if missing")
    parser.add_argument("--token", help="the access token the proof goes with (adds ath)")
    parser.add_argument("method")
    parser.add_argument("url")
    args = parser.parse_args(argv)
    print(DPoPKey.load_or_create(args.key).proof(args.method, args.url, access_token=args.token))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
