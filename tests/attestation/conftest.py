"""Fixtures of the attestation tests: an app with a registered attester, and one of its instances."""

import pytest

from attestation.attester_keys import jwks_cache_clear
from attestation.selectors import attested_app_cache_clear
from tests.attestation.helpers import Attester, Instance, JwksServer
from tests.clients.factories import ApiCredentials, make_api_client


@pytest.fixture(autouse=True)
def _fresh_jwks_clients(settings):
    # Refetch at once on an unknown kid: the cooldown is a production guard, not what is tested.
    settings.ATTESTATION_JWKS_REFETCH_COOLDOWN_SECONDS = 0
    jwks_cache_clear()
    attested_app_cache_clear()
    yield
    jwks_cache_clear()
    attested_app_cache_clear()


@pytest.fixture
def attester() -> Attester:
    return Attester()


@pytest.fixture
def mobile_app(db, attester: Attester) -> ApiCredentials:
    """An API client whose attester (a PEM key) is registered."""
    credentials = make_api_client(name="Mobile app")
    attester.register_pem(credentials.client.client_id)
    return credentials


@pytest.fixture
def instance(attester: Attester, mobile_app: ApiCredentials) -> Instance:
    """One attested installation of the mobile app."""
    return attester.attest(mobile_app.client.client_id)


@pytest.fixture
def jwks_server():
    with JwksServer().running() as server:
        yield server
