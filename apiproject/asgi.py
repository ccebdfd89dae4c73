"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from apiproject.startup import replay_store_check

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apiproject.settings")

application = get_asgi_application()
# Refuse to serve on a Redis that could evict signature nonces (apiproject.replay).
replay_store_check()
