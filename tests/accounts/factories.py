"""Factories for users and API clients."""

from typing import NamedTuple

import factory

from accounts.models import ApiClient, ApiKey, User
from accounts.services import api_client_create

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ApiCredentials(NamedTuple):
    client: ApiClient
    key: ApiKey
    key_id: str
    secret: str


def make_api_client(name: str = "Test app", **policy) -> ApiCredentials:
    """Register an app through the real service, returning its clear-text credentials once."""
    return ApiCredentials(*api_client_create(name=name, **policy))
