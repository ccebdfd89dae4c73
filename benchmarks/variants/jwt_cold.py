"""JWT, first use: as `jwt`, but a new access token every request (signature always verified)."""

from benchmarks.harness import BenchRequest


def build(ctx):
    from accounts.tokens import AccessToken

    def make() -> BenchRequest:
        # Minted outside the timed loop; a token never seen before misses the verified-token
        # cache, so this is the price of one ES256 verification per request.
        access = str(AccessToken.for_app_user(ctx.user, client_id=ctx.api_key.client_id))
        headers = {"Authorization": f"Bearer {access}", "X-Api-Key": ctx.api_key.key_id}
        return BenchRequest("GET", "/api/v1/whoami", headers=headers)

    return make
