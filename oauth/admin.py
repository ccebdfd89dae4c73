"""Admin for OAuth2 applications: the toolkit's, plus first_party and introspection_allowed."""

from django.contrib import admin
from oauth2_provider.admin import ApplicationAdmin  # importing it registers the toolkit's admins

from oauth.models import OAuthApplication

# The toolkit registers its admin for the (swapped) application model; this one adds first_party.
# Its tokens and grants keep the toolkit's admins, which never show a token or code in full.
admin.site.unregister(OAuthApplication)


@admin.register(OAuthApplication)
class OAuthApplicationAdmin(ApplicationAdmin):
    """The toolkit's application admin: the secret is shown while adding, then stored hashed."""

    list_display = [
        "name",
        "client_id",
        "client_type",
        "authorization_grant_type",
        "first_party",
        "introspection_allowed",
        "created",
    ]
    list_filter = [
        "client_type",
        "authorization_grant_type",
        "first_party",
        "introspection_allowed",
        "skip_authorization",
    ]
    search_fields = ["name", "client_id"]
