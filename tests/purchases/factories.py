"""Factories for purchases."""

from decimal import Decimal

import factory

from purchases.models import Purchase
from tests.accounts.factories import UserFactory


class PurchaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Purchase

    owner = factory.SubFactory(UserFactory)
    item = factory.Sequence(lambda n: f"Item {n}")
    quantity = 1
    unit_price = Decimal("9.99")
