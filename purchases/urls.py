from rest_framework.routers import SimpleRouter

from purchases.views import PurchaseViewSet


class OptionalSlashRouter(SimpleRouter):
    """A router whose routes resolve with or without the trailing slash (no redirect for POST)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("purchases", PurchaseViewSet, basename="purchase")

urlpatterns = router.urls
