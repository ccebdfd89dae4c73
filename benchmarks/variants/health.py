"""Baseline: GET /api/v1/health, a DRF view with no authentication, permission or throttle."""

from benchmarks.harness import BenchRequest


def build(ctx):
    request = BenchRequest("GET", "/api/v1/health")
    return lambda: request
