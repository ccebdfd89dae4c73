"""OpenAPI description of the app key scheme (X-Api-Key)."""

from apiproject.schema import HeaderScheme


class ApiKeyScheme(HeaderScheme):
    target_class = "clients.authentication.ApiKeyAuthentication"
    name = "apiKey"
    header = "X-Api-Key"
    description = "The app's key id; `Authorization: Key <key_id>` works too."
