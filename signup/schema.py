"""OpenAPI description of the anonymous signup token scheme (Bearer or DPoP)."""

from dpop.schema import DPoPAlternative


class AnonymousTokenScheme(DPoPAlternative):
    target_class = "signup.authentication.AnonymousTokenAuthentication"
    name = "anonymousToken"  # or DPoP-bound: `dpop` (docs/dpop.md)

    def get_token_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An anonymous signup token from POST /api/v1/signup/session (token_type "
            "anonymous, scope signup, at most ten minutes); sent with the app's key. See docs/signup.md.",
        }
