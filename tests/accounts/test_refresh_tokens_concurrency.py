"""Exactly one of N concurrent refreshes of one token wins, on PostgreSQL: threads and processes."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from accounts.models import RefreshTokenRecord
from accounts.services.refresh_tokens import TokenPair, refresh_token_rotate, token_pair_obtain
from accounts.tokens import InvalidToken
from audit.models import AuditEvent
from tests.accounts.factories import UserFactory
from tests.clients.factories import make_api_client
from tests.helpers import gunicorn_server

CONCURRENCY = 8


def _rotate_at_once(refresh: str, client_id: str) -> list[TokenPair | str]:
    barrier = threading.Barrier(CONCURRENCY)
    results: list[TokenPair | str] = []

    def attempt() -> None:
        connection.ensure_connection()  # each thread has its own connection; open it before the start
        try:
            barrier.wait()
            results.append(refresh_token_rotate(refresh=refresh, client_id=client_id))
        except InvalidToken:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(5))
def test_exactly_one_of_concurrent_refreshes_wins_across_connections(transactional_db, round_):
    app = make_api_client()
    pair = token_pair_obtain(user=UserFactory(), client_id=app.client.client_id)

    results = _rotate_at_once(pair.refresh, app.client.client_id)

    winners = [result for result in results if isinstance(result, TokenPair)]
    assert len(winners) == 1
    assert results.count("refused") == CONCURRENCY - 1
    # The losers presented a token that had just been exchanged: reuse, so the login is over.
    assert not RefreshTokenRecord.objects.filter(revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REFRESH_REUSED).count() == CONCURRENCY - 1


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_exactly_one_of_concurrent_refreshes_wins_across_worker_processes():
    app = make_api_client()
    pair = token_pair_obtain(user=UserFactory(), client_id=app.client.client_id)
    with gunicorn_server(workers=4) as url:

        def call(_: int) -> int:
            response = requests.post(
                f"{url}/api/v1/auth/token/refresh",
                json={"refresh": pair.refresh},
                headers={"X-Api-Key": app.key_id},
                timeout=10,
            )
            return response.status_code

        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            statuses = list(pool.map(call, range(CONCURRENCY)))

    assert statuses.count(200) == 1
    assert statuses.count(401) == CONCURRENCY - 1
    assert RefreshTokenRecord.objects.filter(used_at__isnull=False).count() == 1
