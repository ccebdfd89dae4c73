from django.urls import re_path

from accounts import views, views_auth, views_tokens

urlpatterns = [
    re_path(r"^whoami/?$", views.WhoAmIView.as_view(), name="whoami"),
    re_path(r"^clients/(?P<client_id>[\w-]+)/usage/?$", views.ClientUsageView.as_view(), name="client-usage"),
    re_path(r"^auth/login/?$", views_auth.LoginView.as_view(), name="auth-login"),
    re_path(r"^auth/sessions/?$", views_auth.SessionListView.as_view(), name="auth-sessions"),
    # Any id segment: the view answers 404 for ids that are not one of the caller's sessions.
    re_path(r"^auth/sessions/(?P<session_id>[^/]+)/?$", views_auth.SessionDetailView.as_view(), name="auth-session"),
    re_path(r"^auth/logout/?$", views_auth.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^auth/logout-all/?$", views_auth.LogoutAllView.as_view(), name="auth-logout-all"),
    re_path(r"^auth/token/?$", views_tokens.TokenObtainView.as_view(), name="auth-token"),
    re_path(r"^auth/token/refresh/?$", views_tokens.TokenRefreshView.as_view(), name="auth-token-refresh"),
    re_path(r"^auth/token/revoke/?$", views_tokens.TokenRevokeView.as_view(), name="auth-token-revoke"),
    re_path(r"^auth/token/verify/?$", views_tokens.TokenVerifyView.as_view(), name="auth-token-verify"),
]
