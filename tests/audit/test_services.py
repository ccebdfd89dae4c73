"""The security audit log: every event is recorded, and no secret ever reaches it."""

import base64
import hashlib
import json
import logging

import pytest
from django.core.management import call_command
from rest_framework import status

from audit.models import AuditEvent
from clients.services import api_key_revoke, api_key_rotate
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.clients.factories import make_api_client

LOGIN = "/api/v1/auth/login"
WRONG_PASSWORD = "Tr0ub4dor&3-wrong-guess"


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_real_flows_write_audit_events_without_any_secret(api_client, user, caplog, settings):
    # A one-day window: the real clock must not cross a window boundary between the attempts.
    settings.LOGIN_FAILURE_LIMIT_PER_USERNAME = "2/1d"
    caplog.set_level(logging.DEBUG)  # every logger, not only apiproject.audit
    secrets: list[str] = [DEFAULT_PASSWORD, WRONG_PASSWORD]

    # Keys: created through the service, rotated, revoked.
    app = make_api_client("Audited app")
    _, rotated_key_id, rotated_secret = api_key_rotate(client=app.client)
    api_key_revoke(key=app.key)
    secrets += [app.key_id, app.secret, rotated_key_id, rotated_secret]
    client = api_client
    client.credentials(HTTP_X_API_KEY=rotated_key_id)

    # Logins: two that succeed, two failures, then one refused by the username budget.
    tokens = []
    for _ in range(2):
        response = client.post(LOGIN, HTTP_AUTHORIZATION=basic(user.username, DEFAULT_PASSWORD))
        assert response.status_code == status.HTTP_201_CREATED
        tokens.append(response.json()["token"])
    json_login = client.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD}, format="json")
    tokens.append(json_login.json()["token"])
    for _ in range(2):
        assert client.post(LOGIN, HTTP_AUTHORIZATION=basic(user.username, WRONG_PASSWORD)).status_code == 401
    assert client.post(LOGIN, HTTP_AUTHORIZATION=basic(user.username, DEFAULT_PASSWORD)).status_code == 429
    secrets += tokens

    # Sessions: revoke one, log out of another, then log out everywhere.
    def as_user(token: str):
        client.credentials(HTTP_X_API_KEY=rotated_key_id, HTTP_AUTHORIZATION=f"Token {token}")
        return client

    second_session = as_user(tokens[0]).get("/api/v1/auth/sessions").json()[1]["id"]
    assert as_user(tokens[0]).delete(f"/api/v1/auth/sessions/{second_session}").status_code == 204
    assert as_user(tokens[0]).post("/api/v1/auth/logout").status_code == 204
    assert as_user(tokens[2]).post("/api/v1/auth/logout-all").status_code == 204
    assert as_user(tokens[2]).get("/api/v1/auth/sessions").status_code == 401

    # The management command takes a key id on its command line; it must not log it either.
    call_command("revoke_api_key", rotated_key_id)

    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert kinds >= {
        AuditEvent.Kind.KEY_CREATED,
        AuditEvent.Kind.KEY_REVOKED,
        AuditEvent.Kind.LOGIN_SUCCEEDED,
        AuditEvent.Kind.LOGIN_FAILED,
        AuditEvent.Kind.RATE_LIMITED,
        AuditEvent.Kind.SESSION_REVOKED,
        AuditEvent.Kind.LOGOUT_ALL,
    }
    audit_lines = [record.getMessage() for record in caplog.records if record.name == "apiproject.audit"]
    assert len(audit_lines) == AuditEvent.objects.count()
    assert all(json.loads(line)["event"] for line in audit_lines)  # structured: one JSON object a line

    table = json.dumps(list(AuditEvent.objects.values()), default=str)
    log = "\n".join(f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records)
    for secret in secrets:
        assert secret not in table
        assert secret not in log
        # Nor any recognisable piece of one (a prefix of a key id is allowed: 8 characters).
        assert secret[:12] not in table and secret[:12] not in log


@pytest.mark.django_db
def test_password_typed_as_username_never_reaches_the_audit_log(api_client, user, caplog):
    app = make_api_client()
    caplog.set_level(logging.INFO)
    api_client.post(LOGIN, HTTP_X_API_KEY=app.key_id, HTTP_AUTHORIZATION=basic(DEFAULT_PASSWORD, DEFAULT_PASSWORD))
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOGIN_FAILED)
    assert event.username.startswith("unknown:")
    assert DEFAULT_PASSWORD not in json.dumps(list(AuditEvent.objects.values()), default=str)
    assert DEFAULT_PASSWORD not in caplog.text


def _failed_login_username(api_client, typed: str) -> str:
    app = make_api_client()
    api_client.post(LOGIN, HTTP_X_API_KEY=app.key_id, HTTP_AUTHORIZATION=basic(typed, WRONG_PASSWORD))
    return AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_FAILED).latest("id").username


@pytest.mark.django_db
def test_unknown_username_is_kept_as_keyed_digest_not_plain_sha256(api_client, caplog):
    # A password typed as a username: a dictionary of SHA-256 prefixes must not find it.
    caplog.set_level(logging.INFO)
    typed = "correct-horse-battery-staple"
    recorded = _failed_login_username(api_client, typed)
    plain = hashlib.sha256(typed.encode()).hexdigest()
    assert recorded.startswith("unknown:")
    digest = recorded.removeprefix("unknown:")
    assert len(digest) == 16
    assert digest not in plain
    assert plain[:12] not in caplog.text


@pytest.mark.django_db
def test_unknown_username_digest_is_stable_and_depends_on_server_key(api_client, settings):
    first = _failed_login_username(api_client, "someone-unknown")
    again = _failed_login_username(api_client, "someone-unknown")
    settings.SECRET_KEY = "another-server-secret-key-for-this-test-only-0123456789"
    other_key = _failed_login_username(api_client, "someone-unknown")
    assert first == again  # an operator still sees one name tried many times
    assert other_key != first  # without the server key the digest cannot be recomputed


@pytest.mark.django_db
def test_failed_login_event_records_who_from_where_and_through_which_app(api_client, user):
    app = make_api_client()
    api_client.post(
        LOGIN,
        HTTP_X_API_KEY=app.key_id,
        HTTP_AUTHORIZATION=basic(user.username, WRONG_PASSWORD),
        HTTP_USER_AGENT="Probe/1.0",
        REMOTE_ADDR="203.0.113.50",
    )
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOGIN_FAILED)
    assert (event.username, event.client_id, event.ip, event.user_agent, event.detail) == (
        user.username,
        app.client.client_id,
        "203.0.113.50",
        "Probe/1.0",
        {},
    )


def test_audit_events_are_read_only_in_the_admin(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    client.force_login(staff_user)
    assert client.get("/admin/audit/auditevent/").status_code == status.HTTP_200_OK
    assert client.get("/admin/audit/auditevent/add/").status_code == status.HTTP_403_FORBIDDEN
