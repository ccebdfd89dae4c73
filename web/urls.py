"""The browsable API's Log in and Log out (/api-auth/), under the names DRF's templates reverse."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from oauth.views import LoginView

app_name = "rest_framework"

urlpatterns = [
    # Any active user, through the same brute-force budget and audit log as every password
    # login (accounts.forms.LoginForm); the admin's login stays staff-only.
    path(
        "login/",
        LoginView.as_view(template_name="rest_framework/login.html", next_page="/api/v1/"),
        name="login",
    ),
    path("logout/", LogoutView.as_view(next_page="/api/v1/"), name="logout"),
]
