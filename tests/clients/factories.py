"""Factories for API clients: an app and its first key, made through the same service the admin uses."""

from typing import NamedTuple

from clients.models import ApiClient, ApiKey
from clients.services import api_client_create


class ApiCredentials(NamedTuple):
    client: ApiClient
    key: ApiKey
    key_id: str
    secret: str


def make_api_client(name: str = "Test app", **policy) -> ApiCredentials:
    """Register an app through the real service, returning its clear-text credentials once."""
    return ApiCredentials(*api_client_create(name=name, **policy))
