"""Purchases list: GET /api/v1/purchases/ (a page of 20) as a login-session user with X-Api-Key."""

from decimal import Decimal

from benchmarks.harness import BenchRequest


def build(ctx):
    from accounts.services.login import login_session_create
    from purchases.models import Purchase

    Purchase.objects.bulk_create(
        Purchase(owner=ctx.user, item=f"Item {n}", quantity=1 + n % 3, unit_price=Decimal("9.99")) for n in range(25)
    )
    _, token = login_session_create(user=ctx.user, client_id=ctx.api_key.client_id)
    headers = {"Authorization": f"Token {token}", "X-Api-Key": ctx.api_key.key_id}
    request = BenchRequest("GET", "/api/v1/purchases/", headers=headers)
    return lambda: request
