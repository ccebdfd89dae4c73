from django.urls import re_path

from accounts import views

urlpatterns = [
    re_path(r"^whoami/?$", views.WhoAmIView.as_view(), name="whoami"),
    re_path(r"^clients/(?P<client_id>[\w-]+)/usage/?$", views.ClientUsageView.as_view(), name="client-usage"),
]
