"""Login sessions and JWTs under /api/v1/auth/ (API.md sections 3 and 4)."""

from django.urls import re_path

from accounts import views

urlpatterns = [
    re_path(r"^auth/login/?$", views.LoginView.as_view(), name="auth-login"),
    re_path(r"^auth/sessions/?$", views.SessionListView.as_view(), name="auth-sessions"),
    # Any id segment: the view answers 404 for ids that are not one of the caller's sessions.
    re_path(r"^auth/sessions/(?P<session_id>[^/]+)/?$", views.SessionDetailView.as_view(), name="auth-session"),
    re_path(r"^auth/logout/?$", views.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^auth/logout-all/?$", views.LogoutAllView.as_view(), name="auth-logout-all"),
    re_path(r"^auth/token/?$", views.TokenObtainView.as_view(), name="auth-token"),
    re_path(r"^auth/token/refresh/?$", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    re_path(r"^auth/token/revoke/?$", views.TokenRevokeView.as_view(), name="auth-token-revoke"),
    re_path(r"^auth/token/verify/?$", views.TokenVerifyView.as_view(), name="auth-token-verify"),
]
