from django.apps import AppConfig


class BrowserSessionsConfig(AppConfig):
    name = "browser_sessions"
    verbose_name = "Browser sessions"
