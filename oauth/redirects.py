"""Which redirect URIs an OAuth2 application may register: RFC 8252 for native apps, https for the rest."""

import re
from urllib.parse import urlsplit

# RFC 8252 §7.3: loopback IP literals. §8.3: not "localhost", which a hosts file or DNS can point
# elsewhere, and which may be served by another interface than the one the app listens on.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
# Schemes that run code or read files in the browser or the OS: never a redirect target.
NEVER_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "blob", "about", "filesystem"})
# RFC 8252 §7.1: a private-use scheme is a reverse domain name the app's owner controls.
_REVERSE_DOMAIN = re.compile(r"[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+")

HINT = (
    "use https, or for a native app (public client) a loopback http://127.0.0.1/... or "
    "http://[::1]/... (any port is accepted at request time) or a private-use scheme in "
    "reverse-domain form such as com.example.app:/callback"
)


def is_private_use_scheme(scheme: str) -> bool:
    """Return whether `scheme` has the reverse-domain form RFC 8252 §7.1 asks of private-use schemes."""
    return bool(_REVERSE_DOMAIN.fullmatch(scheme.lower()))


def redirect_uri_problem(uri: str, *, public: bool) -> str | None:
    """Return why `uri` may not be registered as a redirect URI, or None when it may.

    - https, with a host, for any client;
    - for public clients (native apps, RFC 8252) also http to a loopback IP literal, with or
      without a port, and private-use schemes in reverse-domain form;
    - never javascript:, data:, file: and the like, plain http to any other host, "localhost",
      a fragment (RFC 6749 §3.1.2) or userinfo.
    """
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        return "is not a valid URI"
    scheme = parts.scheme.lower()
    if not scheme:
        return "is not an absolute URI"
    if scheme in NEVER_SCHEMES:
        return f"{scheme}: URIs are never redirect targets"
    if "#" in uri:
        return "must not have a fragment (RFC 6749 §3.1.2)"
    if "@" in parts.netloc:
        return "must not carry user information"
    if scheme == "https":
        return None if host else "needs a host"
    if scheme == "http":
        if host == "localhost":
            return "use the loopback IP 127.0.0.1 or [::1], not localhost (RFC 8252 §8.3)"
        if host not in LOOPBACK_HOSTS:
            return f"plain http is allowed only to a loopback IP; {HINT}"
        return None if public else "loopback redirects are for native apps: register a public client (RFC 8252 §7.3)"
    if is_private_use_scheme(scheme):
        return None if public else "private-use schemes are for native apps: register a public client (RFC 8252 §7.1)"
    return f"the scheme {scheme}: is not accepted; {HINT}"


def allowed_schemes(uris: list[str], *, public: bool) -> list[str]:
    """Return the schemes the registered `uris` may be redirected to (the toolkit's per-app check)."""
    schemes = {"https"}
    for uri in uris:
        if redirect_uri_problem(uri, public=public) is None:
            schemes.add(urlsplit(uri).scheme.lower())
    return sorted(schemes)
