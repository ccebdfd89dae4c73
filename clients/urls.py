"""The calling app's own resources under /api/v1/clients/ (API.md section 1)."""

from django.urls import re_path

from clients import views

urlpatterns = [
    re_path(r"^clients/(?P<client_id>[\w-]+)/usage/?$", views.ClientUsageView.as_view(), name="client-usage"),
]
