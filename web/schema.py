"""The OpenAPI document as Swagger UI shows it: security as the server checks it, tags, summaries, examples."""

from typing import Any

from drf_spectacular import openapi
from rest_framework.permissions import IsAuthenticated

from signup.permissions import HasSignupScope

# Schemes that name the calling app, and schemes that name a user and need an app beside them.
APP_SCHEMES = ("apiKey", "httpSignature", "mutualTLS", "clientAttestation")
USER_SCHEMES = ("sessionToken", "jwt", "anonymousToken", "dpop")
# A DPoP-bound token may come from /o/token/ (it names its app) as well as from /auth/token.
ALSO_ALONE = ("dpop",)
# Permissions that refuse a request without a user (or, for signup, an anonymous token).
NEEDS_USER = (IsAuthenticated, HasSignupScope)

# Tags per layer, in the order Swagger UI lists them: (tag, path prefix under /api/v1/, description).
LAYERS = [
    ("Service", "health", "Liveness and readiness; no credentials."),
    ("Apps", "whoami", "Who is calling: the app (key, signature) and the user."),
    ("Apps", "clients", "Usage statistics of an app (staff)."),
    ("Login sessions", "auth/login", "Password login for a session token (`Authorization: Token`)."),
    ("Login sessions", "auth/sessions", ""),
    ("Login sessions", "auth/logout", ""),
    ("JWT", "auth/token", "Access and refresh tokens (ES256), rotation with reuse detection."),
    ("Purchases", "purchases", "The caller's purchases; only the owner may touch one."),
    ("Signup", "signup", "Public signup: captcha, anonymous token, find-person, create-person."),
]

# Operation id -> (summary, example request body or None).
OPERATIONS: dict[str, tuple[str, dict | None]] = {
    "api_v1_health_retrieve": ("Liveness probe", None),
    "api_v1_health_ready_retrieve": ("Readiness probe: database and cache", None),
    "api_v1_whoami_retrieve": ("Who is calling", None),
    "api_v1_clients_usage_retrieve": ("Usage statistics of an app (staff)", None),
    "api_v1_auth_login_create": ("Log in with Basic credentials for a session token", None),
    "api_v1_auth_sessions_list": ("List your login sessions", None),
    "api_v1_auth_sessions_destroy": ("Revoke one of your sessions", None),
    "api_v1_auth_logout_create": ("Revoke this session token", None),
    "api_v1_auth_logout_all_create": ("Sign out everywhere", None),
    "api_v1_auth_token_create": (
        "Obtain a JWT access and refresh token",
        {"username": "demo", "password": "the demo password seed_demo printed"},
    ),
    "api_v1_auth_token_refresh_create": ("Rotate a refresh token", {"refresh": "eyJhbGciOiJFUzI1NiIs..."}),
    "api_v1_auth_token_revoke_create": ("Revoke a refresh token's login", {"refresh": "eyJhbGciOiJFUzI1NiIs..."}),
    "api_v1_auth_token_verify_create": ("Check a token", {"token": "eyJhbGciOiJFUzI1NiIs..."}),
    "api_v1_purchases_list": ("List your purchases", None),
    "api_v1_purchases_create": ("Create a purchase", {"item": "Coffee beans", "quantity": 2, "unit_price": "12.50"}),
    "api_v1_purchases_retrieve": ("Read one of your purchases", None),
    "api_v1_purchases_update": ("Replace one of your purchases", {"item": "Tea", "quantity": 1, "unit_price": "4.20"}),
    "api_v1_purchases_partial_update": ("Change one of your purchases", {"quantity": 3}),
    "api_v1_purchases_destroy": ("Delete one of your purchases", None),
    "api_v1_signup_captcha_retrieve": ("Get a captcha challenge", None),
    "api_v1_signup_session_create": (
        "Exchange a solved captcha for an anonymous token",
        {"captcha": "eyJhbGdvcml0aG0iOiJTSEEtMjU2Ii..."},
    ),
    "api_v1_signup_find_person_create": ("Does this person have an account?", {"email": "someone@example.com"}),
    "api_v1_signup_create_person_create": (
        "Create an account",
        {"username": "newperson", "email": "newperson@example.com", "password": "a long unguessable passphrase"},
    ),
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema with security requirements that combine app and user.

    drf-spectacular lists one requirement per authentication class, which OpenAPI reads as OR:
    it would say a JWT alone is enough. The server wants the app too (API.md §1), so each user
    scheme is paired with each app scheme (AND inside one requirement). An OAuth2 token names
    its app and a browser session is the first-party app: those stand alone.
    """

    def get_auth(self) -> list[dict[str, list[str]]]:
        alternatives = super().get_auth()
        named = {name: scopes for requirement in alternatives for name, scopes in requirement.items()}
        apps = [name for name in APP_SCHEMES if name in named]
        if not apps:
            return alternatives
        users = [name for name in USER_SCHEMES if name in named]
        needs_user = any(isinstance(permission, NEEDS_USER) for permission in self.view.get_permissions())
        combined = [] if needs_user and users else [{app: []} for app in apps]
        combined += [{app: [], user: named[user]} for app in apps for user in users]
        if "oauth2" in named:  # a DPoP-bound OAuth2 token names its app, like a Bearer one
            combined += [{name: scopes} for name, scopes in named.items() if name in ALSO_ALONE]
        combined += [{name: scopes} for name, scopes in named.items() if name not in APP_SCHEMES + USER_SCHEMES]
        if {} in alternatives:
            combined.append({})
        return combined

    def get_tags(self) -> list[str]:
        path = self.path.removeprefix("/api/v1/")
        for tag, prefix, _ in LAYERS:
            if path.startswith(prefix):
                return [tag]
        return super().get_tags()

    def get_summary(self) -> str | None:
        summary, _ = OPERATIONS.get(self.get_operation_id(), (None, None))
        return summary or super().get_summary()


def _tags() -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    for tag, _, description in LAYERS:
        seen[tag] = seen.get(tag) or description
    return [{"name": tag, "description": description} for tag, description in seen.items()]


def postprocess_layers(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """List the layers' tags with their descriptions, and attach each example request body."""
    result["tags"] = _tags() + [tag for tag in result.get("tags", []) if tag["name"] not in dict(LAYERS)]
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            _, example = OPERATIONS.get(operation.get("operationId", ""), (None, None))
            content = operation.get("requestBody", {}).get("content", {})
            if example is not None and "application/json" in content:
                content["application/json"]["example"] = example
    return result
