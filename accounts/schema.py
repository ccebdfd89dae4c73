"""OpenAPI security schemes for this project's authentication classes (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from dpop.schema import NAME as DPOP
from dpop.schema import DPoPAlternative


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class SessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`, as returned by POST /api/v1/auth/login; send X-Api-Key with it.",
        }


class JWTScheme(DPoPAlternative):
    target_class = "accounts.authentication.JWTAuthentication"
    name = ["jwt", DPOP]  # or DPoP-bound: `dpop`, defined here for every token scheme (docs/dpop.md)
    defines_dpop = True
    priority = 1  # over drf-spectacular's own extension for simplejwt, whose class this extends

    def get_token_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from POST /api/v1/auth/token (ES256, five minutes; keys at "
            "/.well-known/jwks.json); sent with the key of the app that obtained it. See docs/jwt.md.",
        }
