"""DPoP-bound OAuth2: GET /api/v1/whoami with an RFC 9068 token bound at /o/token/, and a fresh proof."""

import time

from benchmarks.harness import BenchRequest
from benchmarks.variants.oauth2 import REDIRECT_URI, _access_token

URL = "http://testserver/api/v1/whoami"


def build(ctx):
    from oauth2_provider.settings import oauth2_settings

    from apiclient.dpop import DPoPKey
    from oauth.models import OAuthApplication

    app = OAuthApplication(
        name="Benchmark DPoP app",
        client_type=OAuthApplication.CLIENT_PUBLIC,
        authorization_grant_type=OAuthApplication.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
    )
    app.full_clean()
    app.save()
    key = DPoPKey()
    renew_after = oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS / 2
    state = {"issued": 0.0, "access": ""}

    def make() -> BenchRequest:
        if time.monotonic() - state["issued"] > renew_after:
            # The code exchange carries a proof, so the token is bound to `key` (token_type DPoP).
            proof = key.proof("POST", "http://testserver/o/token/")
            state["access"], state["issued"] = _access_token(ctx, app, HTTP_DPOP=proof), time.monotonic()
        access = state["access"]
        headers = {"Authorization": f"DPoP {access}", "DPoP": key.proof("GET", URL, access_token=access)}
        return BenchRequest("GET", "/api/v1/whoami", headers=headers)

    return make
