"""Login session token: GET /api/v1/whoami with `Token` and X-Api-Key (one indexed query)."""

from benchmarks.harness import BenchRequest


def build(ctx):
    from accounts.services.login import login_session_create

    _, token = login_session_create(user=ctx.user, client_id=ctx.api_key.client_id)
    headers = {"Authorization": f"Token {token}", "X-Api-Key": ctx.api_key.key_id}
    request = BenchRequest("GET", "/api/v1/whoami", headers=headers)
    return lambda: request
