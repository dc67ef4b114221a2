"""gunicorn settings for ``make run`` and production (``gunicorn -c gunicorn.conf.py wsgi:app``).

Threads: each worker serves ``threads`` requests at once (``gthread``), so a slow client or
a long match list holds one thread, not a whole worker. Behind nginx, which buffers whole
requests and answers, slow clients never reach gunicorn at all.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "8"))
preload_app = True
# A nation's match list is answered in the worker's own process: give it time at 1e6.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
keepalive = 5
accesslog = "-"
logger_class = "matcher.accesslog.RedactingLogger"
