"""WSGI entry point: `gunicorn apiproject.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

from apiproject.chunked import ChunkedBodyMiddleware
from apiproject.startup import replay_store_check

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apiproject.settings")

# Around Django, not inside it: a chunked body must have its length before Django reads the request.
application = ChunkedBodyMiddleware(get_wsgi_application())
# Refuse to serve on a Redis that could evict signature nonces (apiproject.replay).
replay_store_check()
