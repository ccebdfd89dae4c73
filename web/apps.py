from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "web"
    verbose_name = "Pages a person uses: landing page, browsable API, Swagger UI"
