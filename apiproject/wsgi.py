"""WSGI entry point: `gunicorn apiproject.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

from apiproject.chunked import ChunkedBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apiproject.settings")

# Around Django, not inside it: a chunked body must have its length before Django reads the request.
application = ChunkedBodyMiddleware(get_wsgi_application())
