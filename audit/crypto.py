"""Keyed digest of unknown usernames, so that the audit log cannot be reversed into typed passwords."""

from django.utils.crypto import salted_hmac


def audit_username_digest(username: str, *, secret: str) -> str:
    """Return a keyed digest (HMAC-SHA256, 64 bits shown) of a username no account has.

    People type their password into the username field, and an unsalted SHA-256 of it is no
    protection: a list of likely passwords, hashed once, finds it. The HMAC key is derived from
    SECRET_KEY (Django's `salted_hmac`, with a salt of its own), so a copy of the log or the
    database without the server's secret cannot be searched that way, while the same typed
    name still gives the same digest, so an operator sees one unknown name tried many times.
    """
    return salted_hmac("apiproject.audit.unknown-username", username, secret=secret, algorithm="sha256").hexdigest()[
        :16
    ]
