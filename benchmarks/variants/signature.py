"""Signed request: GET /api/v1/whoami with an RFC 9421 signature (HMAC, nonce on the shared cache)."""

import requests

from apiclient.signing import HttpSignatureAuth
from benchmarks.harness import BenchRequest

URL = "http://testserver/api/v1/whoami"


def build(ctx):
    auth = HttpSignatureAuth(ctx.api_key.key_id, ctx.api_key.secret)

    def make() -> BenchRequest:
        # A fresh signature and nonce per request, as a real client sends them. The harness
        # builds requests outside the clock, so only the server's verification is timed.
        request = requests.Request("GET", URL).prepare()
        auth.sign(request)
        return BenchRequest("GET", "/api/v1/whoami", headers=dict(request.headers))

    return make
