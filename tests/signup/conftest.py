"""Fixtures of the signup tests: an anonymous token, and a client that presents it with the app key."""

import pytest
from rest_framework.test import APIClient

from tests.clients.factories import ApiCredentials
from tests.signup.factories import make_anonymous_token


@pytest.fixture
def anonymous_token(api_key: ApiCredentials) -> str:
    return make_anonymous_token(api_key.client.client_id)


@pytest.fixture
def signup_client(app_client: APIClient, api_key: ApiCredentials, anonymous_token: str) -> APIClient:
    """An app-identified client holding an anonymous signup token (X-Api-Key + Bearer)."""
    app_client.credentials(HTTP_X_API_KEY=api_key.key_id, HTTP_AUTHORIZATION=f"Bearer {anonymous_token}")
    return app_client
