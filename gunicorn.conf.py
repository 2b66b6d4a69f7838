"""gunicorn configuration for django-ocr (used by scripts/serve, the Dockerfile and CI).

Every value can be overridden from the environment (GUNICORN_*), so the image and a
bare-metal install run the same file.
"""

import os

from ocr_project.wsgi_workers import default_worker_count, load_engine_in_worker

wsgi_app = "ocr_project.wsgi:application"

# Loopback by default: exposing the service is a deliberate choice (the image sets 0.0.0.0).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: OCR is CPU-bound and the engine keeps one Tesseract API per thread,
# so one request per process is both the fastest and the most memory-predictable.
worker_class = "sync"
workers = int(os.environ.get("GUNICORN_WORKERS", default_worker_count()))

# A recognition of a sane image takes well under a second; a request still running after
# this is stuck, and the worker is killed and replaced rather than left holding a core.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5

# Recycle each worker after about this many requests so a slow leak (in libtesseract,
# Pillow or our code) cannot grow without bound; the jitter keeps the workers from all
# restarting at once. 0 disables recycling (used to measure memory growth honestly).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))

# One line per request on stdout: client, request line, status, bytes and time in ms.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

# Heartbeat files in memory: a container's /tmp may be a slow overlay filesystem.
# (gunicorn creates them with mkstemp, so a shared folder is safe.)
SHARED_MEMORY_DIR = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY_DIR if os.path.isdir(SHARED_MEMORY_DIR) else None

# Behind a reverse proxy, trust its X-Forwarded-* only from the addresses listed here.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker) -> None:
    """Load the OCR engine in each worker before it accepts requests."""
    load_engine_in_worker(worker.log)
