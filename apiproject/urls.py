"""URL configuration: the API under /api/v1/, its schema and docs, the admin."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path, re_path

from accounts.views import JwksView
from apiproject import views
from oauth.views import LoginView
from web import views as web_views

api_v1 = [
    path("", web_views.ApiRootView.as_view(), name="api-root"),
    re_path(r"^health/?$", views.HealthView.as_view(), name="health"),
    re_path(r"^health/ready/?$", views.ReadinessView.as_view(), name="health-ready"),
    re_path(r"^whoami/?$", views.WhoAmIView.as_view(), name="whoami"),
    path("", include("clients.urls")),
    path("", include("accounts.urls")),
    path("", include("purchases.urls")),
    path("signup/", include("signup.urls")),
]

urlpatterns = [
    path("", web_views.HomeView.as_view(), name="home"),
    path("api/v1/", include(api_v1)),
    path("api-auth/", include("web.urls")),  # the browsable API's Log in / Log out
    re_path(r"^\.well-known/jwks\.json$", JwksView.as_view(), name="jwks"),
    path("api/schema/", web_views.SchemaView.as_view(), name="schema"),
    # Swagger UI under a script-src 'self' policy; oauth2-redirect.html ends its OAuth2 code flow.
    path("api/docs/", web_views.SwaggerUIView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/docs/oauth2-redirect.html",
        web_views.SwaggerUIOAuth2RedirectView.as_view(),
        name="swagger-ui-oauth2-redirect",
    ),
    path("admin/", admin.site.urls),
    # The OAuth2 / OpenID Connect server, and the sign-in page its authorize endpoint sends people to.
    path("o/", include("oauth.urls", namespace="oauth2_provider")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
]

handler400 = "apiproject.handlers.handler400"
handler403 = "apiproject.handlers.handler403"
handler404 = "apiproject.handlers.handler404"
handler500 = "apiproject.handlers.handler500"
