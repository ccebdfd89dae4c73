"""One production stack (deploy/'s nginx in front of deploy/'s gunicorn) per test module."""

import pytest

from deploy.stack import tls_ensure
from tests.deploy.helpers import production_stack


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return tls_ensure(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def stack(request, django_db_setup, django_db_blocker, tls, tmp_path_factory):
    """nginx + gunicorn (3 workers) sharing the test database and Redis; skipped without nginx or the services."""
    for marker in ("live", "nginx"):
        if request.node.get_closest_marker(marker) is None:
            raise RuntimeError(f"the stack fixture needs pytestmark {marker}")
    with production_stack(tls, tmp_path_factory.mktemp("nginx"), workers=3) as running:
        yield running
