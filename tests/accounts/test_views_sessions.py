"""The caller's login sessions: list, revoke one, logout, logout-all; and their admin."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework import status

from accounts.models import LoginSession
from accounts.services.login import login_session_create
from audit.models import AuditEvent

SESSIONS = "/api/v1/auth/sessions"
LOGOUT = "/api/v1/auth/logout"
LOGOUT_ALL = "/api/v1/auth/logout-all"


@pytest.fixture
def start_session(api_key):
    """Sign a user in through the `api_key` app; return (session, token)."""

    def start(user, **origin) -> tuple[LoginSession, str]:
        return login_session_create(user=user, client_id=api_key.client.client_id, **origin)

    return start


def as_token(api_client, api_key, token: str):
    api_client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Token {token}")
    return api_client


def test_list_shows_callers_live_sessions_and_marks_the_current_one(
    api_client, api_key, user, other_user, start_session
):
    current, token = start_session(user, user_agent="phone", ip="192.0.2.1")
    laptop, _ = start_session(user, user_agent="laptop", ip="2001:db8::1")
    start_session(other_user)
    revoked, _ = start_session(user)
    LoginSession.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    expired, _ = start_session(user)
    LoginSession.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = as_token(api_client, api_key, token).get(SESSIONS)

    assert response.status_code == status.HTTP_200_OK
    by_id = {item["id"]: item for item in response.json()}
    assert set(by_id) == {str(current.pk), str(laptop.pk)}
    assert by_id[str(current.pk)]["current"] is True
    assert by_id[str(laptop.pk)] == {
        "id": str(laptop.pk),
        "created_at": laptop.created_at.isoformat().replace("+00:00", "Z"),
        "last_used_at": laptop.last_used_at.isoformat().replace("+00:00", "Z"),
        "expires_at": laptop.expires_at.isoformat().replace("+00:00", "Z"),
        "user_agent": "laptop",
        "ip": "2001:db8::1",
        "current": False,
    }


def test_list_without_user_returns_401(app_client):
    response = app_client.get(SESSIONS)
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"]


def test_revoking_a_session_returns_204_and_its_token_stops_working(api_client, api_key, user, start_session):
    _, token = start_session(user)
    phone, phone_token = start_session(user)
    response = as_token(api_client, api_key, token).delete(f"{SESSIONS}/{phone.pk}")
    assert response.status_code == status.HTTP_204_NO_CONTENT
    phone.refresh_from_db()
    assert phone.revoked_at is not None
    assert as_token(api_client, api_key, phone_token).get(SESSIONS).status_code == status.HTTP_401_UNAUTHORIZED
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SESSION_REVOKED, user=user).count() == 1


def test_revoking_another_users_session_returns_404_and_leaves_it(api_client, api_key, user, other_user, start_session):
    _, token = start_session(user)
    theirs, _ = start_session(other_user)
    response = as_token(api_client, api_key, token).delete(f"{SESSIONS}/{theirs.pk}/")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize(
    "session_id", ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "1"], ids=["unknown", "malformed", "integer"]
)
def test_revoking_an_unknown_session_returns_404(user_client, session_id):
    response = user_client.delete(f"{SESSIONS}/{session_id}")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_revoking_an_already_revoked_session_returns_404(api_client, api_key, user, start_session):
    _, token = start_session(user)
    old, _ = start_session(user)
    client = as_token(api_client, api_key, token)
    assert client.delete(f"{SESSIONS}/{old.pk}").status_code == status.HTTP_204_NO_CONTENT
    assert client.delete(f"{SESSIONS}/{old.pk}").status_code == status.HTTP_404_NOT_FOUND


def test_logout_returns_204_and_revokes_only_the_current_token(api_client, api_key, user, start_session):
    current, token = start_session(user)
    other, other_token = start_session(user)
    response = as_token(api_client, api_key, token).post(LOGOUT)
    assert response.status_code == status.HTTP_204_NO_CONTENT
    current.refresh_from_db()
    other.refresh_from_db()
    assert current.revoked_at is not None and other.revoked_at is None
    refused = as_token(api_client, api_key, token).get(SESSIONS)
    assert refused.status_code == status.HTTP_401_UNAUTHORIZED
    assert refused.json()["code"] == "invalid_token"
    assert as_token(api_client, api_key, other_token).get(SESSIONS).status_code == status.HTTP_200_OK


def test_logout_with_a_browser_session_returns_403_session_token_required(api_client, user):
    api_client.force_login(user)
    response = api_client.post(LOGOUT)
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json()["code"] == "session_token_required"


def test_logout_without_user_returns_401(app_client):
    response = app_client.post(LOGOUT)
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response["WWW-Authenticate"]


def test_logout_all_returns_204_and_revokes_every_session_of_the_user_only(
    api_client, api_key, user, other_user, start_session
):
    _, token = start_session(user)
    start_session(user)
    _, their_token = start_session(other_user)
    response = as_token(api_client, api_key, token).post(LOGOUT_ALL)
    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert not LoginSession.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert as_token(api_client, api_key, token).get(SESSIONS).status_code == status.HTTP_401_UNAUTHORIZED
    assert as_token(api_client, api_key, their_token).get(SESSIONS).status_code == status.HTTP_200_OK
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.LOGOUT_ALL)
    assert (event.user, event.detail) == (
        user,
        {"reason": "logout_all", "sessions": 2, "refresh_tokens": 0, "oauth2_refresh_tokens": 0},
    )


def test_admin_lists_sessions_without_their_digest(client, staff_user, user, start_session):
    session, _ = start_session(user)
    client.force_login(staff_user)
    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    response = client.get(reverse("admin:accounts_loginsession_change", args=[session.pk]))
    assert response.status_code == status.HTTP_200_OK
    assert session.token_digest not in response.content.decode()


def test_admin_revoke_action_revokes_sessions_at_once(client, staff_user, user, start_session):
    session, _ = start_session(user)
    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:accounts_loginsession_changelist"),
        {"action": "revoke", "_selected_action": [str(session.pk)]},
    )
    assert response.status_code == status.HTTP_302_FOUND
    session.refresh_from_db()
    assert session.revoked_at is not None
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.SESSION_REVOKED).detail == {
        "actor": staff_user.username,  # who did it, beside whose session it was
        "session_id": str(session.pk),
        "reason": "admin",
    }


# --- purge ---------------------------------------------------------------------------------------


def test_purge_deletes_revoked_expired_and_idle_sessions_only(api_client, api_key, user, start_session, settings):
    live, live_token = start_session(user)
    revoked, _ = start_session(user)
    expired, _ = start_session(user)
    idle, _ = start_session(user)
    now = timezone.now()
    LoginSession.objects.filter(pk=revoked.pk).update(revoked_at=now)
    LoginSession.objects.filter(pk=expired.pk).update(expires_at=now)
    LoginSession.objects.filter(pk=idle.pk).update(last_used_at=now - settings.LOGIN_SESSION_IDLE_TIMEOUT)
    out = StringIO()

    call_command("purge_tokens", "--json", stdout=out)

    assert json.loads(out.getvalue()) == {"deleted": 3, "refresh_tokens": 0, "login_sessions": 3}
    assert set(LoginSession.objects.values_list("pk", flat=True)) == {live.pk}
    assert as_token(api_client, api_key, live_token).get(SESSIONS).status_code == status.HTTP_200_OK
