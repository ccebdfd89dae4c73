"""Logging filters named in settings.LOGGING."""

import logging


class OneLineWarning(logging.Filter):
    """Pass every record on as one WARNING line, without its traceback.

    For django.security.DisallowedHost: a request naming a host this server does not serve is
    the client's mistake or a scanner's probe, answered 400. Django logs it at ERROR with the
    full traceback, so every scan of the address floods the error log with a stack that says
    nothing new and drowns the errors someone must act on. The one line keeps what matters:
    the host that was asked for.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True
