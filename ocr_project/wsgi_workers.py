"""Helpers for gunicorn.conf.py: how many workers, and loading the engine per worker.

Kept importable (and tested) apart from the gunicorn config file itself.
"""

import logging
import os

# Tesseract's OpenMP threads fight each other when several workers share the cores;
# set before libtesseract is loaded in any worker.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def available_cpus() -> int:
    """CPUs this process may run on (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_worker_count() -> int:
    """One worker per CPU plus one, so a request waiting on the database or the
    network does not leave a core idle; more only adds memory for CPU-bound OCR."""
    return available_cpus() + 1


def load_engine_in_worker(log: logging.Logger) -> None:
    """Load the engine now (after the fork) so the first request does not pay for it.

    Loaded after the fork, not preloaded in the master: libtesseract keeps per-thread
    state that is not meant to be shared across processes.
    """
    from django.conf import settings

    from ocr_record.engine import EngineUnavailable, get_engine

    try:
        get_engine(settings.OCR_ENGINE_BACKEND, tessdata=settings.OCR_TESSDATA_DIR)
    except EngineUnavailable as exc:
        # Keep serving: /healthz answers 503 naming the engine, and uploads fail cleanly.
        log.error("OCR engine not loaded in worker %s: %s", os.getpid(), exc)
    else:
        log.info("OCR engine %s loaded in worker %s", settings.OCR_ENGINE_BACKEND, os.getpid())
