"""What a benchmark variant may use to build its requests: a user, an app key, a setup client."""

from dataclasses import dataclass
from functools import cached_property

from rest_framework.test import APIClient

from accounts.models import User
from clients.services import api_client_create

PASSWORD = "bench-password-not-secret-123"


@dataclass
class ApiKeyCredentials:
    client_id: str
    key_id: str
    secret: str


class Context:
    """Lazily created fixtures shared by the variants of one run."""

    @cached_property
    def user(self) -> User:
        user = User.objects.create_user(username="bench", email="bench@example.com", password=PASSWORD)
        return user

    @cached_property
    def password(self) -> str:
        return PASSWORD

    @cached_property
    def api_key(self) -> ApiKeyCredentials:
        client, _, key_id, secret = api_client_create(name="Benchmark app")
        return ApiKeyCredentials(client.client_id, key_id, secret)

    @property
    def client(self) -> APIClient:
        """A DRF test client for setup calls (logging in, obtaining tokens), not for timing."""
        return APIClient()
