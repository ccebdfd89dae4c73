from django.contrib import admin

from purchases.models import Purchase


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ["id", "item", "quantity", "unit_price", "status", "owner", "created_at"]
    list_filter = ["status"]
    search_fields = ["item", "owner__username"]
    raw_id_fields = ["owner"]
