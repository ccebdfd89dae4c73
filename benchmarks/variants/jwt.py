"""JWT access token: GET /api/v1/whoami with `Bearer` and X-Api-Key (one token reused; no query)."""

import time

from benchmarks.harness import BenchRequest


def build(ctx):
    from django.conf import settings

    from accounts.services.refresh_tokens import token_pair_obtain

    # Re-issued well before it expires, outside the timed loop, so a long run never times 401s.
    renew_after = settings.JWT_ACCESS_TOKEN_LIFETIME.total_seconds() / 2
    state = {"issued": 0.0, "request": None}

    def make() -> BenchRequest:
        if time.monotonic() - state["issued"] > renew_after:
            access = token_pair_obtain(user=ctx.user, client_id=ctx.api_key.client_id).access
            headers = {"Authorization": f"Bearer {access}", "X-Api-Key": ctx.api_key.key_id}
            state["issued"], state["request"] = time.monotonic(), BenchRequest("GET", "/api/v1/whoami", headers=headers)
        return state["request"]

    return make
