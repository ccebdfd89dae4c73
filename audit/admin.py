"""The audit log in the admin: read-only, searchable."""

from django.contrib import admin

from apiproject.admin import ReadOnlyAdmin
from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "username", "client_id", "ip"]
    list_filter = ["kind"]
    search_fields = ["username", "client_id", "ip"]
    date_hierarchy = "created_at"
