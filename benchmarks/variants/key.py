"""App key: GET /api/v1/whoami with X-Api-Key (lookup cache, user-agent rules, throttle, usage)."""

from benchmarks.harness import BenchRequest


def build(ctx):
    request = BenchRequest("GET", "/api/v1/whoami", headers={"X-Api-Key": ctx.api_key.key_id})
    return lambda: request
