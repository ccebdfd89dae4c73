"""Admin for client attesters: which attester vouches for which app."""

from django.contrib import admin

from attestation.models import ClientAttester


@admin.register(ClientAttester)
class ClientAttesterAdmin(admin.ModelAdmin):
    list_display = ["__str__", "api_client", "application", "jwks_url", "created_at"]
    list_select_related = ["api_client", "application"]
    raw_id_fields = ["api_client", "application"]
    readonly_fields = ["created_at"]
