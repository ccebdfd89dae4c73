"""Purchases API: a plain DRF viewset guarded by app identity, a user and ownership."""

from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from clients.permissions import HasClient
from purchases.models import Purchase
from purchases.permissions import HasPurchaseScope, IsOwner
from purchases.serializers import PurchaseSerializer


class PurchaseViewSet(viewsets.ModelViewSet):
    """The caller's purchases; another user's purchase answers 403, a missing one 404."""

    serializer_class = PurchaseSerializer
    permission_classes = [HasClient, IsAuthenticated, HasPurchaseScope, IsOwner]

    def get_queryset(self):
        if self.action == "list":
            return Purchase.objects.filter(owner=self.request.user).select_related("owner")
        # Every purchase, so that another owner's id is found and refused with 403 by IsOwner
        # (the contract), rather than hidden behind 404.
        return Purchase.objects.select_related("owner")

    def perform_create(self, serializer: PurchaseSerializer) -> None:
        serializer.save(owner=self.request.user)
