"""gunicorn settings for apiproject behind nginx: `gunicorn -c deploy/gunicorn.conf.py apiproject.wsgi`."""

import multiprocessing
import os

# CHANGE: where nginx's upstream points (deploy/nginx/apiproject.conf). Loopback only: nginx is
# the one door in, so X-Forwarded-For and Client-Cert can come from nobody else.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers behind a buffering proxy: gunicorn's own advice, (2 x cores) + 1.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30  # a worker stuck this long is killed and replaced
graceful_timeout = 30
keepalive = 5  # nginx keeps upstream connections open (upstream keepalive)
max_requests = 10_000  # recycle workers now and then; the jitter keeps them from all restarting at once
max_requests_jitter = 1_000
# Django alone decides what to believe from the proxy (DJANGO_TRUSTED_PROXIES): gunicorn must
# not turn X-Forwarded-Proto into an https scheme on its own say-so.
# Several gunicorn masters may share a host (tests, "two hosts"): no shared control socket.
control_socket_disable = True
secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = "127.0.0.1,::1"

# Access log without credentials: the path without its query string (%(U)s, not %(r)s), no
# Authorization, Cookie or any other request header.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
