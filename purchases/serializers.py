"""Serializers of purchases: the server owns id, owner, status, total and created_at."""

from decimal import Decimal

from rest_framework import serializers

from purchases.models import Purchase


class PurchaseSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    # The largest unit_price (10 integer digits) times the largest quantity (10**6) has 16 integer
    # digits: narrower, the biggest valid orders would be saved and then fail to render (a 500).
    total = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))

    class Meta:
        model = Purchase
        fields = ["id", "item", "quantity", "unit_price", "total", "status", "owner", "created_at"]
        read_only_fields = ["id", "status", "created_at"]
