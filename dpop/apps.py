from django.apps import AppConfig


class DpopConfig(AppConfig):
    name = "dpop"
    verbose_name = "DPoP (sender-constrained tokens)"
