"""Admin pages of the DPoP control: which apps require it, which OAuth2 refresh families are bound."""

from django.contrib import admin

from dpop.models import BoundRefreshFamily, DPoPRequirement


@admin.register(DPoPRequirement)
class DPoPRequirementAdmin(admin.ModelAdmin):
    list_display = ["client_id", "created_at"]
    search_fields = ["client_id"]


@admin.register(BoundRefreshFamily)
class BoundRefreshFamilyAdmin(admin.ModelAdmin):
    list_display = ["token_family", "jkt", "created_at"]
    search_fields = ["token_family", "jkt"]
    readonly_fields = ["token_family", "jkt", "created_at"]  # a binding never changes key

    def has_add_permission(self, request) -> bool:
        return False  # made by the token endpoint only
