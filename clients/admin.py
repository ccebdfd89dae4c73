"""API clients in the admin: create (secret shown once), rotate with overlap, revoke, usage chart."""

import json

from cryptography.fernet import InvalidToken
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from apiproject.admin import ReadOnlyAdmin
from apiproject.keys import secret_encryption_keys
from clients.crypto import decrypt_secret, encrypt_secret
from clients.models import ApiClient, ApiKey, UsageRecord, validate_user_agent_patterns
from clients.selectors import client_usage_report
from clients.services import api_key_issue, api_key_revoke, api_key_rotate

# The old keys' overlap when an operator rotates: how long installed copies have to move over.
ROTATE_OVERLAPS = {"now": 0, "1h": 3600, "1d": 86400, "7d": 7 * 86400}


ROTATE_CHOICES = [("now", "now"), ("1h", "in 1 hour"), ("1d", "in 1 day"), ("7d", "in 7 days")]


# Session entry holding a just-issued key until its page is shown (encrypted, popped when read).
PENDING_KEY = "accounts.pending_api_key"


def _pending_key_hold(request: HttpRequest, client: ApiClient, key_id: str, secret: str) -> None:
    """Keep the new key for one showing, on the page the POST then redirects to (POST/redirect/GET).

    Reloading that page shows nothing new and creates nothing. The session holds the pair only
    until then, encrypted under the key-encryption keys, so the session table never has it in
    the clear.
    """
    plain = json.dumps({"client": client.pk, "key_id": key_id, "secret": secret})
    request.session[PENDING_KEY] = encrypt_secret(plain, keys=secret_encryption_keys())


def _new_key_redirect(client: ApiClient) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:clients_apiclient_new_key", args=[client.pk]))


def _pending_key_pop(request: HttpRequest, client: ApiClient) -> tuple[str, str] | None:
    ciphertext = request.session.pop(PENDING_KEY, None)
    if ciphertext is None:
        return None
    try:
        pending = json.loads(decrypt_secret(ciphertext, keys=secret_encryption_keys()))
    except InvalidToken:
        return None
    if pending["client"] != client.pk:
        return None
    return pending["key_id"], pending["secret"]


def credentials_page(
    request: HttpRequest, client: ApiClient, key_id: str | None, secret: str | None
) -> TemplateResponse:
    """Render a new key's id and secret once; they are not stored anywhere in the clear."""
    response = TemplateResponse(
        request,
        "admin/clients/credentials.html",
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


class UserAgentRulesField(forms.CharField):
    """The allowed User-Agent patterns, one regular expression per line, as typed (no JSON quoting)."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60, "spellcheck": "false"})

    def prepare_value(self, value: object) -> object:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: object) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value: list[str]) -> None:
        validate_user_agent_patterns(value)  # the model's own check (RE2 syntax)


class ApiClientForm(forms.ModelForm):
    allowed_user_agents = UserAgentRulesField(
        required=False,
        help_text=r"One regular expression per line, e.g. <code>^MyApp/\d+</code> (write <code>\d</code> "
        "once). A request whose User-Agent matches none of them gets 403. Empty: any agent.",
    )

    class Meta:
        model = ApiClient
        fields = "__all__"


def _pairs(rows: list[dict], field: str) -> list[tuple]:
    return [(row[field], row["count"]) for row in rows]


def _calls_per_day_chart(by_day: list[dict]) -> str:
    """Bars per day under a y axis (calls, 0 to the peak) and an x axis (days): SVG, no script."""
    peak = max(row["count"] for row in by_day)
    bar, height, left, bottom = 22, 120, 48, 34
    width = max(left + len(by_day) * bar + 10, 240)  # room for the x axis label
    bars = format_html_join(
        "",
        '<g><title>{}: {} calls</title><rect x="{}" y="{}" width="{}" height="{}" fill="#417690"/>'
        '<text x="{}" y="{}" font-size="9" text-anchor="end" transform="rotate(-45 {} {})">{}</text></g>',
        (
            (
                row["day"],
                row["count"],
                left + i * bar,
                10 + height - round(row["count"] / peak * height),
                bar - 4,
                round(row["count"] / peak * height),
                left + i * bar + bar / 2,
                height + 22,
                left + i * bar + bar / 2,
                height + 22,
                row["day"][5:],
            )
            for i, row in enumerate(by_day)
        ),
    )
    return format_html(
        '<svg role="img" aria-label="Calls per day" width="{w}" height="{h}" font-family="sans-serif">'
        '<line x1="{l}" y1="10" x2="{l}" y2="{base}" stroke="#333"/>'
        '<line x1="{l}" y1="{base}" x2="{r}" y2="{base}" stroke="#333"/>'
        '<text x="{tick}" y="14" font-size="10" text-anchor="end">{peak}</text>'
        '<text x="{tick}" y="{base}" font-size="10" text-anchor="end">0</text>'
        '<text x="12" y="{mid}" font-size="11" transform="rotate(-90 12 {mid})" text-anchor="middle">calls</text>'
        '<text x="{center}" y="{xlabel}" font-size="11" text-anchor="middle">day (UTC)</text>{bars}</svg>',
        w=width,
        h=10 + height + bottom + 12,
        l=left,
        r=width - 5,
        base=10 + height,
        tick=left - 4,
        peak=peak,
        mid=10 + height // 2,
        center=left + (width - left) // 2,
        xlabel=10 + height + bottom + 8,
        bars=bars,
    )


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
    readonly_fields = ["client_id", "created_at", "usage"]
    inlines = [ApiKeyInline]
    form = ApiClientForm
    change_form_template = "admin/clients/apiclient/change_form.html"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/rotate/", view(require_POST(self.rotate_view)), name="clients_apiclient_rotate"),
            path(
                "<int:pk>/keys/<int:key_pk>/revoke/",
                view(require_POST(self.revoke_view)),
                name="clients_apiclient_revoke_key",
            ),
            path("<int:pk>/new-key/", view(self.new_key_view), name="clients_apiclient_new_key"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "rotate_choices": ROTATE_CHOICES,
            "live_keys": ApiKey.objects.usable().filter(client_id=object_id).order_by("created_at"),
            "may_change": self.has_change_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: ApiClient, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            _, key_id, secret = api_key_issue(client=obj, request=request)
            _pending_key_hold(request, obj, key_id, secret)

    def response_add(self, request: HttpRequest, obj: ApiClient, post_url_continue=None) -> HttpResponse:
        return _new_key_redirect(obj)

    def _client_for_change(self, request: HttpRequest, pk: int) -> ApiClient:
        client = get_object_or_404(ApiClient, pk=pk)
        if not self.has_change_permission(request, client):
            raise PermissionDenied
        return client

    def rotate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Issue a new key; the old ones expire after the overlap chosen (now, 1 hour, 1 day, 7 days)."""
        client = self._client_for_change(request, pk)
        overlap = request.POST.get("overlap", "")
        if overlap not in ROTATE_OVERLAPS:
            self.message_user(request, "Choose when the old keys stop working.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:clients_apiclient_change", args=[pk]))
        _, key_id, secret = api_key_rotate(client=client, expire_old_in=ROTATE_OVERLAPS[overlap], request=request)
        _pending_key_hold(request, client, key_id, secret)
        return _new_key_redirect(client)

    def revoke_view(self, request: HttpRequest, pk: int, key_pk: int) -> HttpResponse:
        """Revoke one key of this app at once."""
        client = self._client_for_change(request, pk)
        key = get_object_or_404(ApiKey.objects.select_related("client"), pk=key_pk, client=client)
        api_key_revoke(key=key, request=request)
        self.message_user(request, f"Revoked key {key.prefix}…; every worker refuses it within seconds.")
        return HttpResponseRedirect(reverse("admin:clients_apiclient_change", args=[pk]))

    def new_key_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The one showing of a key just issued; a reload shows that it was already shown."""
        client = self._client_for_change(request, pk)
        pending = _pending_key_pop(request, client)
        return credentials_page(request, client, *(pending or (None, None)))

    @admin.display(description="Usage")
    def usage(self, obj: ApiClient) -> str:
        """Calls per day as an inline SVG bar chart with labelled axes, then by route and by status."""
        report = client_usage_report(client=obj) if obj.pk else {"total": 0}
        if not report["total"]:
            return "No calls yet."
        return format_html(
            "{}<h4>By route</h4><table>{}</table><h4>By status</h4><table>{}</table>",
            _calls_per_day_chart(report["by_day"]),
            format_html_join("", "<tr><td><code>{}</code></td><td>{}</td></tr>", _pairs(report["by_route"], "route")),
            format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", sorted(report["by_status"].items())),
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
            api_key_revoke(key=key, request=request)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = ["day", "client", "route", "status_code", "ip", "user_agent", "count"]
    list_filter = ["day", "status_code", "client"]
    search_fields = ["route", "ip", "user_agent", "client__name", "client__client_id"]
    date_hierarchy = "day"
