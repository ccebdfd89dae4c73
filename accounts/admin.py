"""Admin for users, apps and keys (secrets shown once), usage and the audit log."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from accounts import services
from accounts.models import ApiClient, ApiKey, AuditEvent, UsageRecord, User
from accounts.selectors import client_daily_calls

admin.site.register(User, UserAdmin)


def credentials_page(request: HttpRequest, client: ApiClient, key_id: str, secret: str) -> TemplateResponse:
    """Render a new key's id and secret once; they are not stored anywhere in the clear."""
    response = TemplateResponse(
        request,
        "admin/accounts/credentials.html",
        {**admin.site.each_context(request), "title": "New API key", "client": client, "key_id": key_id, "secret": secret},
    )
    response["Cache-Control"] = "no-store"
    return response


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ["prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "revoked_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # keys are issued by the "rotate" action, which shows the secret once


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "client_id", "is_active", "require_signature", "throttle_rate", "created_at"]
    list_filter = ["is_active", "require_signature"]
    search_fields = ["name", "client_id"]
    readonly_fields = ["client_id", "created_at", "calls_per_day"]
    inlines = [ApiKeyInline]
    actions = ["rotate_key"]

    def save_model(self, request: HttpRequest, obj: ApiClient, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            _, request._issued_key_id, request._issued_secret = services.api_key_issue(client=obj)

    def response_add(self, request: HttpRequest, obj: ApiClient, post_url_continue=None) -> HttpResponse:
        return credentials_page(request, obj, request._issued_key_id, request._issued_secret)

    @admin.action(description="Rotate: issue a new key (old keys keep working until revoked)")
    def rotate_key(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Rotate one app at a time.", messages.WARNING)
            return None
        client = queryset.get()
        _, key_id, secret = services.api_key_rotate(client=client)
        return credentials_page(request, client, key_id, secret)

    @admin.display(description="Calls per day")
    def calls_per_day(self, obj: ApiClient) -> str:
        """A bar chart drawn here as inline SVG: no JavaScript, no CDN."""
        days = client_daily_calls(client=obj) if obj.pk else []
        if not days:
            return "No calls yet."
        peak = max(n for _, n in days)
        bar, height = 18, 120
        bars = format_html_join(
            "",
            '<g><title>{}: {}</title><rect x="{}" y="{}" width="{}" height="{}" fill="#417690"/></g>',
            (
                (day, n, i * bar, height - round(n / peak * height), bar - 3, round(n / peak * height))
                for i, (day, n) in enumerate(days)
            ),
        )
        return format_html(
            '<svg role="img" aria-label="Calls per day" width="{}" height="{}">{}</svg>'
            "<p>{} to {}; peak {} calls</p>",
            len(days) * bar,
            height,
            bars,
            days[0][0],
            days[-1][0],
            peak,
        )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "client", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "client"]
    search_fields = ["prefix", "client__name", "client__client_id"]
    readonly_fields = ["client", "prefix", "created_at", "revoked_at", "last_used_at"]
    fields = ["client", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected keys now")
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        for key in queryset.select_related("client"):
            services.api_key_revoke(key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = ["day", "client", "route", "status_code", "ip", "user_agent", "count"]
    list_filter = ["day", "status_code", "client"]
    search_fields = ["route", "ip", "user_agent", "client__name", "client__client_id"]
    date_hierarchy = "day"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "username", "client_id", "ip"]
    list_filter = ["kind"]
    search_fields = ["username", "client_id", "ip"]
    date_hierarchy = "created_at"
