"""Admin for users, apps and keys (secrets shown once), usage, login sessions and the audit log."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from oauth2_provider.admin import ApplicationAdmin  # importing it registers the toolkit's admins

from accounts import services
from accounts.forms import AdminLoginForm
from accounts.models import (
    ApiClient,
    ApiKey,
    AuditEvent,
    LoginSession,
    OAuthApplication,
    RefreshTokenRecord,
    UsageRecord,
    User,
)
from accounts.selectors import client_daily_calls

# The admin's login goes through the same brute-force limits and audit log as the API's.
admin.site.login_form = AdminLoginForm
admin.site.register(User, UserAdmin)


def credentials_page(request: HttpRequest, client: ApiClient, key_id: str, secret: str) -> TemplateResponse:
    """Render a new key's id and secret once; they are not stored anywhere in the clear."""
    response = TemplateResponse(
        request,
        "admin/accounts/credentials.html",
        {
            **admin.site.each_context(request),
            "title": "New API key",
            "client": client,
            "key_id": key_id,
            "secret": secret,
        },
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
            '<svg role="img" aria-label="Calls per day" width="{}" height="{}">{}</svg><p>{} to {}; peak {} calls</p>',
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


# --- Login sessions ------------------------------------------------------------------------------


@admin.register(LoginSession)
class LoginSessionAdmin(ReadOnlyAdmin):
    """Sessions are read-only here (the token digest is not even shown); staff can revoke them."""

    list_display = ["user", "client_id", "created_at", "last_used_at", "expires_at", "revoked_at", "ip"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "client_id"]
    search_fields = ["user__username", "client_id", "ip"]
    date_hierarchy = "created_at"
    fields = ["id", "user", "client_id", "created_at", "last_used_at", "expires_at", "revoked_at", "user_agent", "ip"]
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_loginsession")

    @admin.action(description="Revoke selected sessions now", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = sum(
            services.login_session_revoke(session=session, request=request, reason="admin")
            for session in queryset.select_related("user")
        )
        self.message_user(request, f"Revoked {revoked} session(s).", messages.SUCCESS)


# --- OAuth2 applications -------------------------------------------------------------------------

# The toolkit registers its admin for the (swapped) application model; this one adds first_party.
# Its tokens and grants keep the toolkit's admins, which never show a token or code in full.
admin.site.unregister(OAuthApplication)


@admin.register(OAuthApplication)
class OAuthApplicationAdmin(ApplicationAdmin):
    """The toolkit's application admin: the secret is shown while adding, then stored hashed."""

    list_display = [
        "name",
        "client_id",
        "client_type",
        "authorization_grant_type",
        "first_party",
        "introspection_allowed",
        "created",
    ]
    list_filter = [
        "client_type",
        "authorization_grant_type",
        "first_party",
        "introspection_allowed",
        "skip_authorization",
    ]
    search_fields = ["name", "client_id"]


# --- JWT refresh tokens --------------------------------------------------------------------------


@admin.register(RefreshTokenRecord)
class RefreshTokenRecordAdmin(ReadOnlyAdmin):
    """Refresh tokens are read-only here (they hold no token, only ids); staff can end a login."""

    list_display = ["jti_prefix", "user", "client_id", "family_id", "issued_at", "expires_at", "used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), ("used_at", admin.EmptyFieldListFilter), "client_id"]
    search_fields = ["user__username", "client_id", "=family_id", "=jti"]
    date_hierarchy = "issued_at"
    fields = ["jti", "family_id", "user", "client_id", "issued_at", "expires_at", "used_at", "revoked_at"]
    actions = ["revoke_family"]

    @admin.display(description="jti")
    def jti_prefix(self, obj: RefreshTokenRecord) -> str:
        return f"{obj.jti[:8]}…"

    def has_revoke_family_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_refreshtokenrecord")

    @admin.action(description="Revoke the whole login of the selected tokens", permissions=["revoke_family"])
    def revoke_family(self, request: HttpRequest, queryset: QuerySet) -> None:
        families = set(queryset.values_list("family_id", flat=True))
        revoked = sum(services.refresh_token_family_revoke(family_id=family) for family in families)
        self.message_user(request, f"Revoked {revoked} token(s) in {len(families)} login(s).", messages.SUCCESS)
