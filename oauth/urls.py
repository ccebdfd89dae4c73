"""The authorization server's endpoints, mounted at /o/ under the toolkit's namespace.

Listed one by one rather than including oauth2_provider.urls whole, which would also publish
pages this project does not offer: application management for any signed-in user (here apps
are registered by operators, in the admin or with `createapplication`), the device flow,
dynamic client registration and RP-initiated logout.
"""

from django.urls import path, re_path
from oauth2_provider import views as oauth2_views

from dpop import oauth as dpop
from oauth import views
from oauth.client_auth import answer_client_auth_limits
from oauth.views import refuse_nul_bytes

app_name = "oauth2_provider"  # the toolkit reverses its own URL names in this namespace

urlpatterns = [
    path("authorize/", refuse_nul_bytes(views.AuthorizationView.as_view()), name="authorize"),
    # Client authentication happens at these three; its failure budgets answer 429 (client_auth.py).
    path("token/", refuse_nul_bytes(answer_client_auth_limits(dpop.TokenView.as_view())), name="token"),
    path(
        "revoke_token/",
        refuse_nul_bytes(answer_client_auth_limits(oauth2_views.RevokeTokenView.as_view())),
        name="revoke-token",
    ),
    path(
        "introspect/",
        refuse_nul_bytes(answer_client_auth_limits(views.IntrospectTokenView.as_view())),
        name="introspect",
    ),
    path("userinfo/", views.UserInfoView.as_view(), name="user-info"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        views.with_extra_metadata(dpop.ConnectDiscoveryInfoView).as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(
        ".well-known/oauth-authorization-server",
        views.with_extra_metadata(dpop.OAuthServerMetadataView).as_view(),
        name="oauth-server-metadata",
    ),
    path(".well-known/jwks.json", oauth2_views.JwksInfoView.as_view(), name="jwks-info"),
]
