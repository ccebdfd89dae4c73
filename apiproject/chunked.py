"""WSGI middleware: a chunked request body is read up to API_MAX_BODY_BYTES, never dropped."""

import io
from collections.abc import Callable, Iterable

from django.conf import settings

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class ChunkedBodyMiddleware:
    """Give Django a Content-Length for a body sent with `Transfer-Encoding: chunked`.

    Django reads exactly CONTENT_LENGTH bytes of a WSGI body, and a chunked request has no
    Content-Length: the view saw an empty body and answered as if nothing was sent (a 400 for a
    missing field, or worse, a 200 for an empty update). RFC 9112 §6.1 makes chunked the normal
    way to send a body of unknown length, so the server must read it or refuse it.

    When the server has already removed the chunked framing and ends the input stream at the
    end of the body (`wsgi.input_terminated`, which gunicorn sets), this reads at most
    API_MAX_BODY_BYTES + 1 bytes and hands Django the body with its length, so the usual limit
    (413) applies. Without that promise reading could block for ever, so the request goes on
    unchanged and apiproject.middleware.BodySizeLimitMiddleware refuses it with 411.
    """

    def __init__(self, application: WSGIApp) -> None:
        self.application = application

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("HTTP_TRANSFER_ENCODING") and environ.get("wsgi.input_terminated"):
            limit = settings.API_MAX_BODY_BYTES
            body = environ["wsgi.input"].read(limit + 1)
            # Over the limit: Django sees a length over it (413) and no body to read.
            environ["wsgi.input"] = io.BytesIO(b"" if len(body) > limit else body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]  # the body now has a length instead
        return self.application(environ, start_response)
