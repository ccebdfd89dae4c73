"""The security audit log: one row and one structured log line per event."""

import json
import logging

from apiproject.client_ip import client_ip
from apiproject.identity import request_app
from audit.models import AuditEvent

audit_logger = logging.getLogger("apiproject.audit")


def audit_event_record(
    *,
    kind: str,
    request=None,
    user=None,
    username: str = "",
    client_id: str = "",
    **detail: object,
) -> AuditEvent:
    """Store one audit event and emit it as a structured log line.

    Callers pass identifiers only (usernames, client ids, key prefixes, session ids), never a
    password, token, key id or secret: the audit trail must be safe to read and to ship.
    """
    ip, user_agent = "", ""
    if request is not None:
        ip = client_ip(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:256]
        app = request_app(request)
        client_id = client_id or (app.client_id if app else "")
        # Someone acting on another's credentials (staff in the admin): who did it.
        actor = getattr(getattr(request, "_request", request), "user", None)
        if actor is not None and actor.is_authenticated and (user is None or actor.pk != user.pk):
            detail = {"actor": actor.get_username(), **detail}
    if user is not None and not username:
        username = user.get_username()
    event = AuditEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=username[:150],
        client_id=client_id,
        ip=ip or None,
        user_agent=user_agent,
        detail=detail,
    )
    audit_logger.info(
        json.dumps(
            {"event": kind, "username": username, "client_id": client_id, "ip": ip, **detail},
            default=str,
            sort_keys=True,
        )
    )
    return event
