"""Usage statistics: counted per app, key, day, route, status, IP and agent; shown to staff."""

import io
import json

import pytest
import time_machine
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_redis.cache import RedisCache
from rest_framework import status

from clients.models import ApiKey, UsageRecord
from clients.usage import usage_flush
from tests.clients.factories import make_api_client
from tests.purchases.factories import PurchaseFactory

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/whoami"


@pytest.fixture
def flush_often(settings):
    settings.API_USAGE_FLUSH_SECONDS = 3600  # never on its own: the tests flush explicitly


def test_calls_are_aggregated_per_bucket(api_client, api_key, flush_often):
    for _ in range(3):
        api_client.get(
            "/api/v1/whoami", HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="Shop/1", REMOTE_ADDR="10.0.0.7"
        )
    api_client.get("/api/v1/purchases/", HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="Shop/1")
    assert usage_flush() == 2
    whoami = UsageRecord.objects.get(route="api/v1/whoami")
    assert (whoami.count, whoami.status_code, whoami.ip, whoami.user_agent) == (3, 200, "10.0.0.7", "Shop/1")
    assert whoami.key_id == api_key.key.pk
    purchases = UsageRecord.objects.get(route="api/v1/purchases")
    assert (purchases.count, purchases.status_code) == (1, 401)


def test_requests_are_not_written_one_by_one(api_client, api_key, flush_often):
    api_client.get("/api/v1/whoami", HTTP_X_API_KEY=api_key.key_id)  # warm the key cache
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            api_client.get("/api/v1/whoami", HTTP_X_API_KEY=api_key.key_id)
    assert len(queries) == 0
    usage_flush()
    assert UsageRecord.objects.get().count == 21


def test_flush_adds_to_existing_rows_and_marks_key_used(api_client, api_key, flush_often):
    api_client.get("/api/v1/whoami", HTTP_X_API_KEY=api_key.key_id)
    usage_flush()
    api_client.get("/api/v1/whoami", HTTP_X_API_KEY=api_key.key_id)
    usage_flush()
    assert UsageRecord.objects.get().count == 2
    assert ApiKey.objects.get(pk=api_key.key.pk).last_used_at is not None


def test_detail_routes_are_counted_by_pattern_not_by_id(api_client, api_key, user, flush_often):
    api_client.force_login(user)
    for purchase in PurchaseFactory.create_batch(3, owner=user):
        api_client.get(f"/api/v1/purchases/{purchase.pk}/", HTTP_X_API_KEY=api_key.key_id)
    usage_flush()
    assert UsageRecord.objects.get().route == "api/v1/purchases/<pk>"


def test_requests_without_an_app_are_not_counted(api_client, flush_often):
    api_client.get("/api/v1/whoami")
    api_client.get("/api/v1/whoami", HTTP_X_API_KEY="unknown-key-id")
    assert usage_flush() == 0


def test_flush_happens_by_itself_after_the_interval(api_client, api_key, settings):
    if isinstance(caches["default"], RedisCache):
        pytest.skip("in process memory only: with Redis, `flush_usage` writes the counts")
    settings.API_USAGE_FLUSH_SECONDS = 0
    api_client.get("/api/v1/whoami", HTTP_X_API_KEY=api_key.key_id)
    assert UsageRecord.objects.get().count == 1


def test_usage_report_for_staff(api_client, api_key, staff_user, flush_often):
    other = make_api_client(name="Other")
    with time_machine.travel("2026-11-20 10:00:00"):
        api_client.get("/api/v1/whoami", HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="A/1", REMOTE_ADDR="10.0.0.1")
    with time_machine.travel("2026-11-21 10:00:00"):
        api_client.get("/api/v1/whoami", HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="B/1", REMOTE_ADDR="10.0.0.2")
        api_client.get("/api/v1/whoami", HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="B/1", REMOTE_ADDR="10.0.0.2")
        api_client.get("/api/v1/purchases/", HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="B/1")
        api_client.get("/api/v1/whoami", HTTP_X_API_KEY=other.key_id)
    api_client.force_login(staff_user)
    # Through the other app: with Redis a request is counted (in flight) before its response.
    response = api_client.get(f"/api/v1/clients/{api_key.client.client_id}/usage", HTTP_X_API_KEY=other.key_id)
    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert body == {
        "client_id": api_key.client.client_id,
        "total": 4,
        "by_day": [{"day": "2026-11-20", "count": 1}, {"day": "2026-11-21", "count": 3}],
        "by_route": [{"route": "api/v1/whoami", "count": 3}, {"route": "api/v1/purchases", "count": 1}],
        "by_status": {"2xx": 3, "4xx": 1},
        "top_user_agents": [{"value": "B/1", "count": 3}, {"value": "A/1", "count": 1}],
        "top_ips": [
            {"value": "10.0.0.2", "count": 2},
            {"value": "10.0.0.1", "count": 1},
            {"value": "127.0.0.1", "count": 1},
        ],
    }


def test_usage_report_is_forbidden_to_non_staff(api_client, api_key, user):
    api_client.force_login(user)
    response = api_client.get(f"/api/v1/clients/{api_key.client.client_id}/usage", HTTP_X_API_KEY=api_key.key_id)
    assert response.status_code == status.HTTP_403_FORBIDDEN


def test_usage_report_without_user_returns_401(api_client, api_key):
    response = api_client.get(f"/api/v1/clients/{api_key.client.client_id}/usage", HTTP_X_API_KEY=api_key.key_id)
    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_usage_report_of_unknown_app_returns_404(api_client, api_key, staff_user):
    api_client.force_login(staff_user)
    response = api_client.get("/api/v1/clients/nope/usage", HTTP_X_API_KEY=api_key.key_id)
    assert response.status_code == status.HTTP_404_NOT_FOUND


def test_agents_and_ips_past_the_daily_limit_are_counted_as_other(api_client, api_key, settings, flush_often):
    settings.API_USAGE_MAX_DISTINCT = 2
    for n in range(4):
        api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT=f"A/{n}", REMOTE_ADDR=f"10.0.0.{n}")
    api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="A/0", REMOTE_ADDR="10.0.0.1")
    usage_flush()
    rows = {(row.user_agent, row.ip): row.count for row in UsageRecord.objects.all()}
    assert rows == {("A/0", "10.0.0.0"): 1, ("A/1", "10.0.0.1"): 1, ("other", "other"): 2, ("A/0", "10.0.0.1"): 1}


def test_next_day_has_its_own_distinct_values(api_client, api_key, settings, flush_often):
    settings.API_USAGE_MAX_DISTINCT = 1
    with time_machine.travel("2026-11-20 10:00:00"):
        api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="A/1")
        api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="B/1")
    with time_machine.travel("2026-11-21 10:00:00"):
        api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id, HTTP_USER_AGENT="B/1")
    usage_flush()
    rows = sorted((row.day.isoformat(), row.user_agent) for row in UsageRecord.objects.all())
    assert rows == [("2026-11-20", "A/1"), ("2026-11-20", "other"), ("2026-11-21", "B/1")]


def test_flush_usage_command_writes_pending_counts_and_prints_json(api_client, api_key, flush_often):
    for _ in range(3):
        api_client.get(WHOAMI, HTTP_X_API_KEY=api_key.key_id)
    out = io.StringIO()
    call_command("flush_usage", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"buckets": 1}
    assert UsageRecord.objects.get().count == 3


def test_flush_usage_command_refuses_a_period_that_is_not_positive():
    with pytest.raises(CommandError, match="--every"):
        call_command("flush_usage", "--every", "0")
