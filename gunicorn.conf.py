"""gunicorn settings for the web process; gunicorn reads this file when started from the
repository root (``gunicorn xinfang.wsgi``). Command-line flags override it. See
docs/deployment.md ("Overload").

Threads let a worker overlap database waits. ``OverloadMiddleware`` lets at most
``XF_MAX_CONCURRENT_REQUESTS`` of them work at once; the other threads are a short waiting
room whose requests get 503 "系统繁忙" after ``XF_OVERLOAD_WAIT_MS``. Connections beyond the
threads queue in the worker (``worker_connections``), then in the kernel (``backlog``).
"""

import os

bind = os.environ.get("XF_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("XF_WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("XF_WEB_THREADS", "8"))
worker_connections = 100  # per worker: connections accepted and waiting for a thread
backlog = 256  # kernel queue of connections not yet accepted
timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 30
keepalive = 5
# Django holds one database connection per thread (CONN_MAX_AGE), so PostgreSQL sees at most
# workers × threads connections from this server: keep that under max_connections.
accesslog = os.environ.get("XF_ACCESS_LOG") or None
errorlog = os.environ.get("XF_ERROR_LOG", "-")
