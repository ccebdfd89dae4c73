"""OpenAPI description of the OAuth2 scheme: Bearer or DPoP access tokens from /o/token/."""

from dpop.schema import DPoPAlternative


class OAuth2Scheme(DPoPAlternative):
    target_class = "oauth.authentication.OAuth2Authentication"
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
