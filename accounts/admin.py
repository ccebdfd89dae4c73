"""Admin for users, apps and keys (secrets shown once), usage, login sessions and the audit log."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.forms import AdminLoginForm
from accounts.models import LoginSession, RefreshTokenRecord, User
from accounts.services.login import login_session_revoke
from accounts.services.refresh_tokens import refresh_token_family_revoke
from apiproject.admin import ReadOnlyAdmin
from audit.models import AuditEvent
from audit.services import audit_event_record

# The admin's login goes through the same brute-force limits and audit log as the API's.
admin.site.login_form = AdminLoginForm
admin.site.register(User, UserAdmin)


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
            login_session_revoke(session=session, request=request, reason="admin")
            for session in queryset.select_related("user")
        )
        self.message_user(request, f"Revoked {revoked} session(s).", messages.SUCCESS)


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
        families = dict(queryset.values_list("family_id", "user"))
        revoked = 0
        for family, user_pk in families.items():
            revoked += refresh_token_family_revoke(family_id=family)
            audit_event_record(
                kind=AuditEvent.Kind.SESSION_REVOKED,
                request=request,
                user=User.objects.filter(pk=user_pk).first(),
                family_id=str(family),
                reason="admin: JWT refresh tokens",
            )
        self.message_user(request, f"Revoked {revoked} token(s) in {len(families)} login(s).", messages.SUCCESS)
