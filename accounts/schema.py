"""OpenAPI security schemes for this project's authentication classes (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from apiproject.schema import HeaderScheme
from dpop.schema import NAME as DPOP
from dpop.schema import DPoPAlternative


class ApiKeyScheme(HeaderScheme):
    target_class = "accounts.authentication.api_key.ApiKeyAuthentication"
    name = "apiKey"
    header = "X-Api-Key"
    description = "The app's key id; `Authorization: Key <key_id>` works too."


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.session.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class HttpSignatureScheme(HeaderScheme):
    target_class = "accounts.authentication.signature.HttpSignatureAuthentication"
    name = "httpSignature"
    # OpenAPI has no type for RFC 9421; describe the pair of headers as an apiKey scheme.
    header = "Signature"
    description = (
        "RFC 9421 HMAC-SHA256 signature with its Signature-Input (keyid = the key id, "
        "created, nonce) and Content-Digest for bodies; see docs/request-signing.md."
    )


class SessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.token.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`, as returned by POST /api/v1/auth/login; send X-Api-Key with it.",
        }


class AnonymousTokenScheme(DPoPAlternative):
    target_class = "accounts.authentication.anonymous.AnonymousTokenAuthentication"
    name = "anonymousToken"  # or DPoP-bound: `dpop` (docs/dpop.md)

    def get_token_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An anonymous signup token from POST /api/v1/signup/session (token_type "
            "anonymous, scope signup, at most ten minutes); sent with the app's key. See docs/signup.md.",
        }


class OAuth2Scheme(DPoPAlternative):
    target_class = "accounts.authentication.oauth2.OAuth2Authentication"
    name = "oauth2"  # or DPoP-bound: `dpop` (docs/dpop.md)

    def get_token_definition(self, auto_schema):
        from oauth2_provider.settings import oauth2_settings

        scopes = dict(oauth2_settings.SCOPES)
        return {
            "type": "oauth2",
            "description": "RFC 9068 JWT access tokens from the server at /o/ (`Authorization: Bearer`); "
            "the token names the app, so no API key is needed. PKCE with S256 is required. See docs/oauth2.md.",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/o/authorize/",
                    "tokenUrl": "/o/token/",
                    "refreshUrl": "/o/token/",
                    "scopes": scopes,
                },
                "clientCredentials": {"tokenUrl": "/o/token/", "scopes": scopes},
            },
        }


class JWTScheme(DPoPAlternative):
    target_class = "accounts.authentication.jwt.JWTAuthentication"
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
