"""DPoP-bound JWT: GET /api/v1/whoami with `Authorization: DPoP`, a fresh proof, and X-Api-Key.

Each request carries a new proof (made outside the clock: signing is the client's cost), so
the server verifies one ES256 proof and takes its jti (one store operation, in the same
round trip as the app's throttle count) on top of the `jwt` variant's work.
"""

import time

from benchmarks.harness import BenchRequest

URL = "http://testserver/api/v1/whoami"


def build(ctx):
    from django.conf import settings
    from jwcrypto import jwk

    from accounts.services.refresh_tokens import token_pair_obtain
    from apiclient.dpop import DPoPKey

    key = DPoPKey()
    jkt = jwk.JWK(**key.public_jwk).thumbprint()
    renew_after = settings.JWT_ACCESS_TOKEN_LIFETIME.total_seconds() / 2
    state = {"issued": 0.0, "access": ""}

    def make() -> BenchRequest:
        if time.monotonic() - state["issued"] > renew_after:
            state["access"] = token_pair_obtain(user=ctx.user, client_id=ctx.api_key.client_id, jkt=jkt).access
            state["issued"] = time.monotonic()
        access = state["access"]
        headers = {
            "Authorization": f"DPoP {access}",
            "DPoP": key.proof("GET", URL, access_token=access),
            "X-Api-Key": ctx.api_key.key_id,
        }
        return BenchRequest("GET", "/api/v1/whoami", headers=headers)

    return make
