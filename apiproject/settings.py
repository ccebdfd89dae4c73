"""Settings for apiproject: one module, driven by the environment (see .env.example)."""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.functional import lazy

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # generated dev keys and the SQLite file; git-ignored

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Secure by default: outside debug there is no fallback secret.
if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-dev-only-secret-key-do-not-deploy")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")  # required: see the end of this file

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The project's own apps, in the order they depend on each other (README "Layout"; pinned by
    # tests/test_layout.py). transport and dpop come first so that their `create_api_client`
    # (clients' command plus --require-dpop, plus --client-cert) is the one run, and oauth
    # before oauth2_provider so that its templates and `createapplication` override the toolkit's.
    "transport",
    "dpop",
    "audit",
    "clients",
    "signatures",
    "accounts",
    "browser_sessions",
    "oauth",
    "oauth2_provider",
    "attestation",
    "signup",
    "purchases",
    "web",
    "csp",
]

MIDDLEWARE = [
    # First: drops proxy headers that no trusted proxy sent, before anything reads the scheme.
    "apiproject.middleware.TrustedProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apiproject.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every HTML page; Cache-Control: no-store on personal JSON.
    "csp.middleware.CSPMiddleware",
    "web.middleware.NoStoreMiddleware",
    "clients.middleware.UsageMiddleware",
]

ROOT_URLCONF = "apiproject.urls"
WSGI_APPLICATION = "apiproject.wsgi.application"
ASGI_APPLICATION = "apiproject.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "apiproject" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------------------------

if "DATABASE_URL" not in env:
    VAR_DIR.mkdir(exist_ok=True)  # the default SQLite file lives here
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
# A persistent connection is checked before a request reuses it: without this, every backend
# that PostgreSQL ended (a restart, a failover, pg_terminate_backend) cost a request its 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Shared by every worker process: throttles, nonces, single-use captchas, counters.
    _default_cache = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            # A dead Redis must surface as an error (503), never be silently ignored.
            "IGNORE_EXCEPTIONS": False,
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="apiproject"),
    }
else:
    # One process only: fine for `make run`, wrong for several gunicorn workers.
    _default_cache = {"BACKEND": "apiproject.cache.LocalCache", "LOCATION": "default"}
CACHES = {
    "default": _default_cache,
}
# django-ratelimit's store (login and OAuth2 client-authentication failure budgets).
RATELIMIT_USE_CACHE = "default"

# --- Authentication and passwords ------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"

# Argon2id first: memory-hard, the OWASP recommendation for new systems.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Generated OAuth2 client secrets only (oauth/hashers.py); listed so their hashes verify.
    "oauth.hashers.ClientSecretHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The sign-in page in front of /o/authorize/ (any active user; the admin's login is staff-only).
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/api/docs/"

# --- Internationalisation and static files ---------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names served by WhiteNoise in production (after collectstatic).
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security headers (cookiecutter-django's list) -------------------------------------------

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# The health probe is served over plain HTTP by load balancers inside the network.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health"]
# The reverse proxies whose X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and
# Client-Cert are believed (apiproject.client_ip). Django's own SECURE_PROXY_SSL_HEADER and
# USE_X_FORWARDED_HOST believe any client; they are safe here only because
# TrustedProxyHeadersMiddleware first deletes those headers from every other peer.
try:
    TRUSTED_PROXIES = [
        str(ipaddress.ip_network(entry.strip(), strict=False))
        for entry in env.list("DJANGO_TRUSTED_PROXIES", default=[])
        if entry.strip()
    ]
except ValueError as exc:
    raise environ.ImproperlyConfigured(f"DJANGO_TRUSTED_PROXIES: {exc}") from exc
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = True
# Django sessions (admin, browsable API, OAuth2 sign-in) stored under a SHA-256 of their key,
# so a copy of the database cannot be replayed as session cookies (docs/sessions.md).
SESSION_ENGINE = "browser_sessions.backend"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Content-Security-Policy (django-csp) on every response: scripts only from this server, so an
# injected <script> or onclick= does not run. The admin, the sign-in and consent pages, the
# browsable API and Swagger UI load all their scripts from /static/ (Swagger UI's start-up
# script from /api/docs/?script=), and chromium runs them under this policy in tests/browser/.
# Styles may be inline: DRF's and Swagger UI's templates use style attributes, and a style
# cannot run code. No form-action: the consent page's form ends in a redirect to the app's
# registered redirect URI, on another origin, which form-action would block.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Django REST framework -------------------------------------------------------------------

REST_FRAMEWORK = {
    # App identity first: those classes record the calling app and let the user schemes run.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "signatures.authentication.HttpSignatureAuthentication",
        "attestation.authentication.ClientAttestationAuthentication",  # API.md §13, a mobile app's identity
        "clients.authentication.ApiKeyAuthentication",
        # Mutual TLS: names the app by its client certificate, or enforces --require-mtls.
        "transport.authentication.MutualTlsAuthentication",
        # Then the user schemes: each returns None for headers that are not its own.
        "accounts.authentication.SessionTokenAuthentication",
        "accounts.authentication.JWTAuthentication",  # Bearer JWTs of our key; OAuth2's pass on
        "oauth.authentication.OAuth2Authentication",  # the last Bearer scheme: 401 if not ours
        "accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "clients.permissions.HasClient",
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "clients.throttling.ClientRateThrottle",
        "accounts.throttling.SessionUserRateThrottle",  # browser sessions, which have no app
    ],
    "DEFAULT_THROTTLE_RATES": {
        "client": env.str("API_CLIENT_THROTTLE_RATE", default="1000/minute"),
        "session": env.str("API_SESSION_THROTTLE_RATE", default="300/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "signatures.renderers.JoseRenderer",  # Accept: application/jose, signed requests only
        "web.renderers.BrowsableAPIRenderer",  # no form where the permissions would refuse it
    ],
    "DEFAULT_PARSER_CLASSES": [
        "apiproject.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
        "signatures.parsers.JoseParser",  # Content-Type: application/jose, signed requests only
    ],
    "DEFAULT_PAGINATION_CLASS": "apiproject.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "apiproject.handlers.exception_handler",
    # App AND user in each security requirement, tags per layer, summaries (web/schema.py).
    "DEFAULT_SCHEMA_CLASS": "web.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "apiproject",
    "DESCRIPTION": """A reference REST API secured in layers: app keys, signed requests, sessions, JWT,
OAuth2, public signup and object-level authorization.

**Trying it here.** Press *Authorize*. Most operations need the calling **app** *and* a **user**:
enter the app's key id (`seed_demo` prints one) under `apiKey`, then a user credential under
`sessionToken` (`Token <token>` from *Log in*) or `jwt` (an access token from *Obtain a JWT*).
The `oauth2` authorization code flow (with PKCE, as the public client `swagger-ui` that
`seed_demo` registers) stands alone: the token names its app. So does `cookieAuth`: sign in at
[/api-auth/login/](/api-auth/login/) and the browser's session is used.

**Signed requests** (`httpSignature`, RFC 9421) cannot be made from a browser: the HMAC key
must never reach a page. Use the Python client, e.g. `python -m apiclient --help`
(docs/request-signing.md); an app set to require signatures refuses the plain key.

**The OAuth2 server** lives under `/o/` (django-oauth-toolkit, not listed below):
`/o/authorize/` (code + PKCE S256), `/o/token/` (code, refresh, client credentials),
`/o/revoke_token/` (RFC 7009), `/o/introspect/` (RFC 7662, resource servers only),
`/o/userinfo/` (OpenID Connect), `/o/.well-known/openid-configuration` and
`/o/.well-known/jwks.json`. See docs/oauth2.md.""",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI's OAuth2 authorization code flow, with PKCE, as the public client seed_demo
    # registers (redirect URI /api/docs/oauth2-redirect.html, served from this server).
    "SWAGGER_UI_OAUTH2_CONFIG": {
        "clientId": "swagger-ui",
        "appName": "Swagger UI",
        "usePkceWithAuthorizationCodeGrant": True,
        "scopes": "purchases:read purchases:write",
    },
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # the default, kept
        "apiproject.schema.postprocess_error_responses",
        "web.schema.postprocess_layers",
        "dpop.schema.security_deduplicate",
    ],
}

# --- This project's security settings (read when used, through django.conf.settings) ---------

# Retry-After (seconds) of every 503: the database, the cache or the replay store unreachable.
API_UNAVAILABLE_RETRY_AFTER_SECONDS = env.int("API_UNAVAILABLE_RETRY_AFTER_SECONDS", default=5)

# 0 only when the Redis refuses CONFIG GET and its maxmemory-policy is known to be noeviction.
API_REDIS_POLICY_CHECK = env.bool("API_REDIS_POLICY_CHECK", default=True)

API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

# Key-encryption keys (Fernet), newest first. In debug a generated key under var/ is used.
API_SECRET_ENCRYPTION_KEYS = env.list("API_SECRET_ENCRYPTION_KEYS", default=[])
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=5)
API_USAGE_FLUSH_SECONDS = env.int("API_USAGE_FLUSH_SECONDS", default=10)
# Distinct User-Agents and source IPs kept per app and day; later ones are counted as "other".
API_USAGE_MAX_DISTINCT = env.int("API_USAGE_MAX_DISTINCT", default=100)

SIGNATURE_MAX_SKEW_SECONDS = env.int("SIGNATURE_MAX_SKEW_SECONDS", default=300)

# Mutual TLS (transport/; docs/transport-security.md). The client CA that nginx verifies client
# certificates against: add_client_certificate refuses certificates it did not sign, and
# issue_client_certificate signs development certificates with its key. `make prod` writes both.
TRANSPORT_CLIENT_CA_FILE = env.str("TRANSPORT_CLIENT_CA_FILE", default=str(VAR_DIR / "tls" / "client-ca.pem"))
TRANSPORT_CLIENT_CA_KEY_FILE = env.str(
    "TRANSPORT_CLIENT_CA_KEY_FILE", default=str(VAR_DIR / "tls" / "client-ca-key.pem")
)

JWT_PRIVATE_KEY_FILE = env.str("JWT_PRIVATE_KEY_FILE", default="")
OIDC_RSA_PRIVATE_KEY_FILE = env.str("OIDC_RSA_PRIVATE_KEY_FILE", default="")
JWT_ISSUER = env.str("JWT_ISSUER", default="apiproject")
JWT_AUDIENCE = env.str("JWT_AUDIENCE", default="apiproject-api")
JWT_ACCESS_TOKEN_LIFETIME = timedelta(seconds=env.int("JWT_ACCESS_TOKEN_SECONDS", default=300))
JWT_REFRESH_TOKEN_LIFETIME = timedelta(seconds=env.int("JWT_REFRESH_TOKEN_SECONDS", default=86400))

# --- JWT (djangorestframework-simplejwt; docs/jwt.md) ---------------------------------------

# simplejwt reads SIMPLE_JWT once, at import. So the key, algorithm, kid, issuer, audience and
# lifetimes are not here: accounts.tokens reads them from the JWT_* settings above when a token
# is made or checked, and accounts.jwt_codec fixes the algorithm by the key's type (ES256 for the
# default EC P-256 key). What stays here is the token's shape, which never changes.
SIMPLE_JWT = {
    # Read only by simplejwt's stock backend (rest_framework_simplejwt.state), which accounts.tokens
    # replaces: never SECRET_KEY (simplejwt's default), so nothing may sign with it.
    "ALGORITHM": "ES256",
    "SIGNING_KEY": None,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",  # RFC 7519 §4.1.2
    "TOKEN_TYPE_CLAIM": "token_type",  # "access", "refresh" or "anonymous" (RFC 8725 §3.11)
    "JTI_CLAIM": "jti",
}


# --- Public signup (captcha, anonymous tokens, find-person, create-person; docs/signup.md) ---

# "altcha" (self-hosted proof of work), "turnstile", "hcaptcha", or a dotted CaptchaBackend path.
SIGNUP_CAPTCHA_BACKEND = env.str("SIGNUP_CAPTCHA_BACKEND", default="altcha")
SIGNUP_CAPTCHA_TTL_SECONDS = env.int("SIGNUP_CAPTCHA_TTL_SECONDS", default=300)
# Signs ALTCHA challenges; in debug an empty value means a key derived from SECRET_KEY.
SIGNUP_ALTCHA_HMAC_KEY = env.str("SIGNUP_ALTCHA_HMAC_KEY", default="")
SIGNUP_ALTCHA_COST = env.int("SIGNUP_ALTCHA_COST", default=100)
SIGNUP_ALTCHA_MAX_NUMBER = env.int("SIGNUP_ALTCHA_MAX_NUMBER", default=30_000)
# Turnstile and hCaptcha: the provider's secret and site key, and how we call siteverify.
SIGNUP_CAPTCHA_SECRET = env.str("SIGNUP_CAPTCHA_SECRET", default="")
SIGNUP_CAPTCHA_SITE_KEY = env.str("SIGNUP_CAPTCHA_SITE_KEY", default="")
SIGNUP_CAPTCHA_VERIFY_URL = env.str("SIGNUP_CAPTCHA_VERIFY_URL", default="")
SIGNUP_CAPTCHA_TIMEOUT_SECONDS = env.float("SIGNUP_CAPTCHA_TIMEOUT_SECONDS", default=3)
SIGNUP_CAPTCHA_EXPECTED_HOSTNAME = env.str("SIGNUP_CAPTCHA_EXPECTED_HOSTNAME", default="")
SIGNUP_CAPTCHA_EXPECTED_ACTION = env.str("SIGNUP_CAPTCHA_EXPECTED_ACTION", default="")
# Lifetime of an anonymous signup token; the contract caps it at ten minutes.
SIGNUP_ANONYMOUS_TOKEN_SECONDS = env.int("SIGNUP_ANONYMOUS_TOKEN_SECONDS", default=600)
# Anonymous tokens minted per client IP (each also costs a solved captcha).
SIGNUP_SESSION_RATE_PER_IP = env.str("SIGNUP_SESSION_RATE_PER_IP", default="20/hour")
# Answers that can tell whether a person exists (find-person, and create-person's duplicate
# check), counted per anonymous token over its whole life, per client IP and per app.
SIGNUP_FIND_PERSON_LIMIT_PER_TOKEN = env.int("SIGNUP_FIND_PERSON_LIMIT_PER_TOKEN", default=10)
SIGNUP_FIND_PERSON_RATE_PER_IP = env.str("SIGNUP_FIND_PERSON_RATE_PER_IP", default="30/hour")
SIGNUP_FIND_PERSON_RATE_PER_APP = env.str("SIGNUP_FIND_PERSON_RATE_PER_APP", default="1000/hour")

if not 0 < SIGNUP_ANONYMOUS_TOKEN_SECONDS <= 600:
    raise environ.ImproperlyConfigured("SIGNUP_ANONYMOUS_TOKEN_SECONDS must be between 1 and 600")

# --- OAuth2 authorization server (django-oauth-toolkit; docs/oauth2.md) ------------------------

# The toolkit's application model plus a `first_party` flag (oauth/models.py). Swapped
# before the first migration: swapping it later means migrating every token table.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth.OAuthApplication"

# RFC 9700 §2.4: the password grant MUST NOT be used. Legacy switch: when on, confidential apps
# marked first-party (and registered for that grant) may use it; every other app still may not.
OAUTH2_ALLOW_PASSWORD_GRANT = env.bool("OAUTH2_ALLOW_PASSWORD_GRANT", default=False)
# `iss` of access and ID tokens: the public URL of /o, e.g. https://api.example.com/o. Blank
# derives it from each request's host, as the toolkit does; set it when the server has several
# names, and always on a separate resource server, which must know whom to trust.
OAUTH2_ISSUER = env.str("OAUTH2_ISSUER", default="")
# Failed client authentications at /o/token/, /o/revoke_token/ and /o/introspect/, checked
# before any secret is hashed (oauth/client_auth.py).
OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT = env.str("OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT", default="20/m")
OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_IP = env.str("OAUTH2_CLIENT_AUTH_FAILURE_LIMIT_PER_IP", default="20/m")
OAUTH2_REFRESH_TOKEN_LIFETIME = timedelta(seconds=env.int("OAUTH2_REFRESH_TOKEN_SECONDS", default=14 * 86400))

# How this API checks OAuth2 access tokens (oauth/resource_server.py):
#   "local"          this process is the authorization server: its own public key, no I/O;
#   "jwks"           a separate resource server: the issuer's keys from OAUTH2_JWKS_URL, cached;
#   "introspection"  a separate resource server: RFC 7662 at OAUTH2_INTROSPECTION_URL, as a
#                    confidential client, on every request (or cached for a few seconds).
OAUTH2_RESOURCE_SERVER_MODE = env.str("OAUTH2_RESOURCE_SERVER_MODE", default="local")
OAUTH2_JWKS_URL = env.str("OAUTH2_JWKS_URL", default="")
OAUTH2_JWKS_CACHE_SECONDS = env.int("OAUTH2_JWKS_CACHE_SECONDS", default=300)
OAUTH2_INTROSPECTION_URL = env.str("OAUTH2_INTROSPECTION_URL", default="")
OAUTH2_INTROSPECTION_CLIENT_ID = env.str("OAUTH2_INTROSPECTION_CLIENT_ID", default="")
OAUTH2_INTROSPECTION_CLIENT_SECRET = env.str("OAUTH2_INTROSPECTION_CLIENT_SECRET", default="")
# 0: every request asks, so a revoked token stops at once; more trades that for fewer calls.
OAUTH2_INTROSPECTION_CACHE_SECONDS = env.int("OAUTH2_INTROSPECTION_CACHE_SECONDS", default=0)
OAUTH2_HTTP_TIMEOUT_SECONDS = env.float("OAUTH2_HTTP_TIMEOUT_SECONDS", default=3)

# Attestation-based client authentication (attestation app, API.md §13, docs/mobile.md).
# An attester's JWKS is fetched with this timeout (an unreachable one answers 503 at once
# after it), cached this long, and refetched on an unknown kid at most once per cooldown.
ATTESTATION_JWKS_TIMEOUT_SECONDS = env.float("ATTESTATION_JWKS_TIMEOUT_SECONDS", default=2)
ATTESTATION_JWKS_CACHE_SECONDS = env.int("ATTESTATION_JWKS_CACHE_SECONDS", default=300)
ATTESTATION_JWKS_REFETCH_COOLDOWN_SECONDS = env.float("ATTESTATION_JWKS_REFETCH_COOLDOWN_SECONDS", default=10)
# A PoP is accepted within this many seconds of its iat, and its jti only once in that time.
ATTESTATION_POP_MAX_AGE_SECONDS = env.int("ATTESTATION_POP_MAX_AGE_SECONDS", default=60)
ATTESTATION_CLOCK_SKEW_SECONDS = env.int("ATTESTATION_CLOCK_SKEW_SECONDS", default=5)

if OAUTH2_RESOURCE_SERVER_MODE not in ("local", "jwks", "introspection"):
    raise environ.ImproperlyConfigured("OAUTH2_RESOURCE_SERVER_MODE must be local, jwks or introspection")
if OAUTH2_RESOURCE_SERVER_MODE != "local" and not OAUTH2_ISSUER:
    raise environ.ImproperlyConfigured("OAUTH2_ISSUER is required on a separate resource server")
if OAUTH2_RESOURCE_SERVER_MODE == "jwks" and not OAUTH2_JWKS_URL:
    raise environ.ImproperlyConfigured("OAUTH2_JWKS_URL is required when OAUTH2_RESOURCE_SERVER_MODE=jwks")
if OAUTH2_RESOURCE_SERVER_MODE == "introspection" and not (
    OAUTH2_INTROSPECTION_URL and OAUTH2_INTROSPECTION_CLIENT_ID and OAUTH2_INTROSPECTION_CLIENT_SECRET
):
    raise environ.ImproperlyConfigured(
        "OAUTH2_INTROSPECTION_URL, _CLIENT_ID and _CLIENT_SECRET are required for introspection"
    )


def _oidc_rsa_private_key_pem() -> str:
    # Called on first use, not at import: the key comes from OIDC_RSA_PRIVATE_KEY_FILE through
    # apiproject.keys (which generates a dev key under var/ in debug), and a resource server that
    # never signs anything runs without it.
    from oauth.signing_key import signing_key_pem

    return signing_key_pem()


TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "attest_jwt_client_auth"]

OAUTH2_PROVIDER = {
    # RFC 9700 (OAuth 2.0 Security Best Current Practice), adopted ahead of the toolkit's 4.0.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    # False only while the legacy switch is on; the validator then admits first-party apps only.
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": not OAUTH2_ALLOW_PASSWORD_GRANT,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,  # never ?access_token= in a URL
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,  # RFC 9207 `iss` against mix-up attacks
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # the database keeps SHA-256 checksums only
    # These four turn an insecure value of their setting into an error of `check --deploy`.
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_EXPIRE_SECONDS": OAUTH2_REFRESH_TOKEN_LIFETIME,
    "PKCE_REQUIRED": True,
    "ALLOW_URI_WILDCARDS": False,  # redirect URIs match exactly
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH2_ACCESS_TOKEN_SECONDS", default=300),
    # Access tokens are RFC 9068 JWTs; refresh tokens stay random strings, checked in the database.
    "ACCESS_TOKEN_GENERATOR": "oauth.generators.access_token_generator",
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    # oauth.validators.OAuth2Validator, plus attestation-based client authentication.
    "OAUTH2_VALIDATOR_CLASS": "attestation.validators.AttestationOAuth2Validator",
    # Both discovery documents; draft-ietf-oauth-attestation-based-client-auth registers the third.
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": TOKEN_ENDPOINT_AUTH_METHODS,
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": TOKEN_ENDPOINT_AUTH_METHODS,
    # Generated secrets are 256 random bits, hashed fast (HMAC-SHA-256); chosen ones with Argon2.
    "CLIENT_SECRET_GENERATOR_CLASS": "oauth.generators.ClientSecretGenerator",
    "CLIENT_SECRET_HASHER": "client_secret_hmac_sha256",
    "SCOPES": {
        "purchases:read": "Read your purchases",
        "purchases:write": "Create and change your purchases",
        "openid": "Sign you in (OpenID Connect)",
        "profile": "Your user name",
    },
    "DEFAULT_SCOPES": ["purchases:read"],
    # The fallback for a request naming no known application. Each application's own redirect
    # schemes come from its registration (OAuthApplication.get_allowed_schemes, RFC 8252):
    # https, plus loopback http and private-use schemes for native apps. No global switch.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # OpenID Connect, signed with the RSA key of OIDC_RSA_PRIVATE_KEY_FILE, read when first used.
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": lazy(_oidc_rsa_private_key_pem, str)(),
    "OIDC_ISS_ENDPOINT": OAUTH2_ISSUER,
    # Discovery advertises only what the server accepts: the code flow.
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token", "password"],
}

# --- Logging: structured audit lines on their own logger -------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"one_line_warning": {"()": "apiproject.log_filters.OneLineWarning"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # A request for a host we do not serve (400): one WARNING line naming the host, not an
        # ERROR with a traceback per scanner probe.
        "django.security.DisallowedHost": {"level": "WARNING", "filters": ["one_line_warning"]},
    },
}

# --- Login sessions (POST /api/v1/auth/login, Authorization: Token) ---------------------------

# Absolute lifetime of a session token (no use extends it) and how long it may sit unused.
LOGIN_SESSION_MAX_AGE = timedelta(seconds=env.int("LOGIN_SESSION_MAX_AGE_SECONDS", default=7 * 86400))
LOGIN_SESSION_IDLE_TIMEOUT = timedelta(seconds=env.int("LOGIN_SESSION_IDLE_SECONDS", default=86400))
# last_used_at is written at most this often per session, so most requests only read.
LOGIN_SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
# Failed password logins (every endpoint that takes a password) per window, in the shared cache.
LOGIN_FAILURE_LIMIT_PER_USERNAME = env.str("LOGIN_FAILURE_LIMIT_PER_USERNAME", default="5/15m")
LOGIN_FAILURE_LIMIT_PER_IP = env.str("LOGIN_FAILURE_LIMIT_PER_IP", default="20/15m")

# --- Refuse to start in production while anything required is missing ------------------------

# API.md §10: every missing variable and key file named in one message, so that an operator
# fixes them in one go, and a missing key file stops the start instead of 500-ing a request.
# `manage.py check` and gunicorn both import this file, so both refuse.
API_SINGLE_PROCESS = env.bool("API_SINGLE_PROCESS", default=False)
if not DEBUG:
    from apiproject.startup import missing_production_settings

    _key_files = {"JWT_PRIVATE_KEY_FILE": JWT_PRIVATE_KEY_FILE}
    if OAUTH2_RESOURCE_SERVER_MODE == "local":  # only the authorization server signs OAuth2 tokens
        _key_files["OIDC_RSA_PRIVATE_KEY_FILE"] = OIDC_RSA_PRIVATE_KEY_FILE
    _missing = missing_production_settings(
        {
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "API_SECRET_ENCRYPTION_KEYS": API_SECRET_ENCRYPTION_KEYS,
            # Unless one process serves alone, nonces and limits must be shared by every worker:
            # with two workers and no Redis one signed request was accepted twice (4 of 10 trials).
            "REDIS_URL": REDIS_URL or API_SINGLE_PROCESS,
            # A captcha whose answers could be forged or not checked is no captcha.
            "SIGNUP_ALTCHA_HMAC_KEY": SIGNUP_ALTCHA_HMAC_KEY or SIGNUP_CAPTCHA_BACKEND != "altcha",
            "SIGNUP_CAPTCHA_SECRET": SIGNUP_CAPTCHA_SECRET or SIGNUP_CAPTCHA_BACKEND not in ("turnstile", "hcaptcha"),
        },
        key_files=_key_files,
    )
    if _missing:
        raise environ.ImproperlyConfigured(
            "DJANGO_DEBUG=0 needs: " + "; ".join(_missing) + " (REDIS_URL may be left out with API_SINGLE_PROCESS=1)"
        )
