"""Admin for mutual TLS: the certificates bound to apps and their policies."""

from django.contrib import admin

from transport.models import ClientCertificate, MutualTlsPolicy


@admin.register(ClientCertificate)
class ClientCertificateAdmin(admin.ModelAdmin):
    list_display = ("subject", "client", "thumbprint", "not_after", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("subject", "thumbprint", "client__client_id", "client__name")
    readonly_fields = ("thumbprint", "subject", "not_after", "created_at")
    raw_id_fields = ("client",)

    def has_add_permission(self, request) -> bool:
        return False  # bound from a certificate file: add_client_certificate


@admin.register(MutualTlsPolicy)
class MutualTlsPolicyAdmin(admin.ModelAdmin):
    list_display = ("client", "require_mtls")
    raw_id_fields = ("client",)
