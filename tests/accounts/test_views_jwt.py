"""The JWT endpoints: obtain, refresh (rotation and reuse), revoke, verify, and the JWKS."""

from datetime import timedelta

import jwt as pyjwt
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import jwt_codec
from accounts.models import RefreshTokenRecord
from accounts.services.refresh_tokens import refresh_tokens_revoke_for_user, token_pair_obtain
from audit.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.clients.factories import make_api_client

TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
REVOKE = "/api/v1/auth/token/revoke"
VERIFY = "/api/v1/auth/token/verify"
JWKS = "/.well-known/jwks.json"


@pytest.fixture
def pair(user, api_key):
    return token_pair_obtain(user=user, client_id=api_key.client.client_id)


def obtain(client, username: str, password: str = DEFAULT_PASSWORD):
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


def obtain_session(client, user) -> dict:
    return client.post(
        "/api/v1/auth/login", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
    ).json()


def refresh(client, token: str):
    return client.post(REFRESH, {"refresh": token}, format="json")


def other_app_client() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=make_api_client(name="Other app").key_id)
    return client


def claims_of(token: str) -> dict:
    return pyjwt.decode(token, options={"verify_signature": False})


# --- obtain --------------------------------------------------------------------------------------------


def test_obtain_returns_an_app_bound_pair(app_client, user, api_key, settings):
    response = obtain(app_client, user.username)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    access, refresh_token = response.json()["access"], response.json()["refresh"]
    claims = claims_of(access)
    assert claims["iss"] == settings.JWT_ISSUER and claims["aud"] == settings.JWT_AUDIENCE
    assert claims["sub"] == str(user.pk)
    assert claims["client_id"] == api_key.client.client_id
    assert claims["exp"] - claims["iat"] == 5 * 60
    assert claims_of(refresh_token)["exp"] - claims_of(refresh_token)["iat"] == 24 * 3600
    assert pyjwt.get_unverified_header(access)["kid"] in {key["kid"] for key in jwt_codec.jwks()["keys"]}


def test_every_obtain_starts_a_new_family(app_client, user):
    first, second = obtain(app_client, user.username).json(), obtain(app_client, user.username).json()

    assert first["refresh"] != second["refresh"]
    assert RefreshTokenRecord.objects.values("family_id").distinct().count() == 2


@pytest.mark.parametrize(("username", "password"), [("known", "wrong-password"), ("nobody", DEFAULT_PASSWORD)])
def test_wrong_password_and_unknown_user_read_the_same(app_client, user, username, password):
    response = obtain(app_client, user.username if username == "known" else username, password)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response["WWW-Authenticate"]
    assert not RefreshTokenRecord.objects.exists()


def test_inactive_user_gets_invalid_credentials(app_client, user):
    user.is_active = False
    user.save()

    assert obtain(app_client, user.username).json()["code"] == "invalid_credentials"


def test_repeated_failures_lock_out_even_the_right_password(app_client, user):
    for _ in range(5):
        obtain(app_client, user.username, "wrong-password")

    response = obtain(app_client, user.username)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_obtain_without_app_returns_401_client_required(api_client, user):
    response = obtain(api_client, user.username)

    assert response.status_code == 401
    assert response.json()["code"] == "client_required"


def test_database_holds_no_usable_refresh_token(app_client, user):
    issued = obtain(app_client, user.username).json()["refresh"]

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {RefreshTokenRecord._meta.db_table}")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert issued not in stored
    assert issued.split(".")[2] not in stored  # not even the signature


# --- refresh: rotation and reuse ---------------------------------------------------------------------


def test_refresh_returns_a_new_pair_and_kills_the_old_token(app_client, pair):
    response = refresh(app_client, pair.refresh)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    new = response.json()
    assert new["refresh"] != pair.refresh and new["access"] != pair.access
    old = RefreshTokenRecord.objects.get(jti=claims_of(pair.refresh)["jti"])
    assert old.used_at is not None
    assert old.replaced_by.jti == claims_of(new["refresh"])["jti"]
    assert old.replaced_by.family_id == old.family_id


def test_rotated_token_works_once_more(app_client, pair):
    second = refresh(app_client, pair.refresh).json()

    assert refresh(app_client, second["refresh"]).status_code == 200


def test_reused_refresh_token_revokes_the_family_and_is_audited(app_client, user, pair):
    rotated = refresh(app_client, pair.refresh).json()

    response = refresh(app_client, pair.refresh)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    family = RefreshTokenRecord.objects.get(jti=claims_of(pair.refresh)["jti"]).family_id
    assert not RefreshTokenRecord.objects.filter(family_id=family, revoked_at__isnull=True).exists()
    assert refresh(app_client, rotated["refresh"]).status_code == 401  # the thief's copy is dead too
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.REFRESH_REUSED)
    assert event.user == user
    assert event.detail["family_id"] == str(family)
    assert pair.refresh not in str(event.detail)


def test_reuse_leaves_other_logins_alone(app_client, user, api_key, pair):
    other_login = token_pair_obtain(user=user, client_id=api_key.client.client_id)
    refresh(app_client, pair.refresh)

    refresh(app_client, pair.refresh)

    assert refresh(app_client, other_login.refresh).status_code == 200


def test_access_token_cannot_refresh(app_client, pair):
    assert refresh(app_client, pair.access).status_code == 401


def test_refresh_of_another_app_returns_401_and_leaves_the_token_live(app_client, pair):
    response = refresh(other_app_client(), pair.refresh)

    assert response.status_code == 401
    assert response.json()["code"] == "client_mismatch"
    assert refresh(app_client, pair.refresh).status_code == 200


def test_expired_refresh_token_returns_401(app_client, pair):
    with time_machine.travel(timedelta(days=1, minutes=1)):
        assert refresh(app_client, pair.refresh).status_code == 401


def test_deactivated_user_cannot_refresh_and_loses_the_login(app_client, user, pair):
    user.is_active = False
    user.save()

    assert refresh(app_client, pair.refresh).status_code == 401
    assert not RefreshTokenRecord.objects.filter(revoked_at__isnull=True).exists()


def test_refresh_token_unknown_to_the_database_returns_401(app_client, pair):
    RefreshTokenRecord.objects.all().delete()

    assert refresh(app_client, pair.refresh).status_code == 401


@pytest.mark.parametrize(
    "body",
    [{"refresh": "x" * 100_000}, {"refresh": "a.b.c"}, {"refresh": "é"}, {"refresh": 12345}],
    ids=["100kb", "garbage", "non-ascii", "number"],
)
def test_bad_refresh_input_returns_401(app_client, body):
    response = app_client.post(REFRESH, body, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    "body", [{}, {"refresh": ""}, {"refresh": {"a": 1}}, ["x"]], ids=["missing", "blank", "object", "list"]
)
def test_missing_refresh_field_returns_400(app_client, body):
    assert app_client.post(REFRESH, body, format="json").status_code == 400


# --- revoke and logout-all ------------------------------------------------------------------------------


def test_revoke_ends_the_login(app_client, pair):
    rotated = refresh(app_client, pair.refresh).json()

    response = app_client.post(REVOKE, {"refresh": rotated["refresh"]}, format="json")

    assert response.status_code == 204
    assert refresh(app_client, rotated["refresh"]).status_code == 401
    assert not RefreshTokenRecord.objects.filter(revoked_at__isnull=True).exists()


@pytest.mark.parametrize("token", ["garbage", "x" * 100_000], ids=["garbage", "100kb"])
def test_revoke_of_an_invalid_token_is_not_an_error(app_client, token):
    """RFC 7009 §2.2: the endpoint tells nothing about tokens it cannot use."""
    assert app_client.post(REVOKE, {"refresh": token}, format="json").status_code == 204


def test_revoke_of_another_apps_token_returns_401_client_mismatch(app_client, pair):
    response = other_app_client().post(REVOKE, {"refresh": pair.refresh}, format="json")

    assert response.json()["code"] == "client_mismatch"
    assert refresh(app_client, pair.refresh).status_code == 200


def test_revoke_for_user_kills_every_refresh_token_of_the_user(app_client, user, other_user, api_key, pair):
    second = token_pair_obtain(user=user, client_id=api_key.client.client_id)
    others = token_pair_obtain(user=other_user, client_id=api_key.client.client_id)

    assert refresh_tokens_revoke_for_user(user=user) == 2

    assert refresh(app_client, pair.refresh).status_code == 401
    assert refresh(app_client, second.refresh).status_code == 401
    assert refresh(app_client, others.refresh).status_code == 200


def test_logout_all_kills_refresh_tokens(app_client, api_key, user, pair):
    login = obtain_session(app_client, user)
    app_client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Token {login['token']}")

    assert app_client.post("/api/v1/auth/logout-all").status_code == 204

    assert not RefreshTokenRecord.objects.filter(user=user, revoked_at__isnull=True).exists()


# --- verify ---------------------------------------------------------------------------------------------


def test_verify_accepts_a_valid_access_token(app_client, pair):
    response = app_client.post(VERIFY, {"token": pair.access}, format="json")

    assert response.status_code == 200
    assert response.json()["token_type"] == "access"


def test_verify_accepts_a_live_refresh_token_and_refuses_a_used_one(app_client, pair):
    assert app_client.post(VERIFY, {"token": pair.refresh}, format="json").status_code == 200

    refresh(app_client, pair.refresh)

    assert app_client.post(VERIFY, {"token": pair.refresh}, format="json").status_code == 401


@pytest.mark.parametrize("token", ["garbage", "x" * 100_000, "a.b.c"], ids=["garbage", "100kb", "three-parts"])
def test_verify_refuses_bad_tokens(app_client, token):
    response = app_client.post(VERIFY, {"token": token}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_verify_refuses_an_anonymous_token(app_client, api_key):
    anonymous = jwt_codec.jwt_encode(
        jwt_codec.jwt_claims(
            sub="anon:1", token_type="anonymous", client_id=api_key.client.client_id, lifetime=timedelta(minutes=1)
        )
    )

    assert app_client.post(VERIFY, {"token": anonymous}, format="json").status_code == 401


def test_verify_refuses_an_expired_access_token(app_client, pair):
    with time_machine.travel(timedelta(minutes=6)):
        assert app_client.post(VERIFY, {"token": pair.access}, format="json").status_code == 401


def test_verify_of_another_apps_token_returns_401_client_mismatch(pair):
    response = other_app_client().post(VERIFY, {"token": pair.access}, format="json")

    assert response.json()["code"] == "client_mismatch"


# --- JWKS and purge -------------------------------------------------------------------------------------


def test_jwks_is_public_and_cacheable(api_client):
    response = api_client.get(JWKS)

    assert response.status_code == 200
    assert response.json() == jwt_codec.jwks()
    assert response["Cache-Control"] == "public, max-age=300"


def test_purge_deletes_only_expired_records(user, api_key):
    expired = token_pair_obtain(user=user, client_id=api_key.client.client_id)
    with time_machine.travel(timedelta(hours=12)):
        live = token_pair_obtain(user=user, client_id=api_key.client.client_id)

    with time_machine.travel(timedelta(days=1, hours=1)):
        call_command("purge_tokens", verbosity=0)

    remaining = set(RefreshTokenRecord.objects.values_list("jti", flat=True))
    assert remaining == {claims_of(live.refresh)["jti"]}
    assert claims_of(expired.refresh)["jti"] not in remaining


def test_purge_keeps_the_chain_consistent(app_client, user, pair):
    rotated = refresh(app_client, pair.refresh).json()
    RefreshTokenRecord.objects.filter(jti=claims_of(pair.refresh)["jti"]).update(expires_at=timezone.now())

    call_command("purge_tokens", verbosity=0)

    assert RefreshTokenRecord.objects.get().jti == claims_of(rotated["refresh"])["jti"]
    assert refresh(app_client, rotated["refresh"]).status_code == 200


# --- admin ----------------------------------------------------------------------------------------------


def test_admin_lists_refresh_tokens_without_tokens_or_digests(admin_client, pair):
    record = RefreshTokenRecord.objects.get()

    changelist = admin_client.get(reverse("admin:accounts_refreshtokenrecord_changelist")).content.decode()
    detail = admin_client.get(reverse("admin:accounts_refreshtokenrecord_change", args=[record.pk])).content.decode()

    assert record.jti[:8] in changelist
    for page in (changelist, detail):
        assert pair.refresh.split(".")[2] not in page
        assert record.token_digest not in page


def test_admin_revoke_action_ends_the_whole_login(admin_client, app_client, pair):
    rotated = refresh(app_client, pair.refresh).json()
    old = RefreshTokenRecord.objects.get(jti=claims_of(pair.refresh)["jti"])

    admin_client.post(
        reverse("admin:accounts_refreshtokenrecord_changelist"),
        {"action": "revoke_family", "_selected_action": [old.pk]},
    )

    assert not RefreshTokenRecord.objects.filter(revoked_at__isnull=True).exists()
    assert refresh(app_client, rotated["refresh"]).status_code == 401
