"""Recognition with a time limit: in this process by default, or in a child process.

By default (``OCR_RECOGNITION_PROCESS`` off) the engine runs in the web worker's own
process, as the design asks and as is fastest: the engine's pipeline only gives
Tesseract small glyph crops, at most a fixed number of them per image, and checks the
time limit between steps, so a recognition stops soon after ``OCR_TIMEOUT_SECONDS``
and the worker goes on. An unexpected error inside the engine becomes a 503.

With ``OCR_RECOGNITION_PROCESS`` on, each request thread hands its image to its own
recognition process (the engine stays loaded there) and waits at most
``OCR_TIMEOUT_SECONDS``. libtesseract cannot be interrupted from outside, so a process
that runs over the limit, crashes in C code or dies is killed and replaced on the next
request; the web worker never blocks or crashes. This isolation costs about a
millisecond per request and one more process per worker.

The child uses only the engine: no Django settings, no database connection.
"""

import contextlib
import importlib
import logging
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from PIL import Image

from ocr_record.engine import (
    EngineError,
    EngineUnavailable,
    Recognition,
    RecognitionTimeout,
    check_engine,
)

logger = logging.getLogger(__name__)


# Seconds a new recognition process may take to start and load the engine; the time
# limit of a request starts after that.
STARTUP_SECONDS = 120.0
READY = "ready"


class EngineCrashed(EngineUnavailable):
    """The recognition process died (a crash in Tesseract, out of memory, killed)."""


def _exit_with(worker_pid: int) -> None:
    """Exit as soon as the web worker that owns this process is gone (killed, say), even
    in the middle of a recognition: nothing is left running for nobody."""

    def watch() -> None:
        try:
            handle = os.pidfd_open(worker_pid)
        except (AttributeError, OSError):  # pragma: no cover - old kernel or not Linux
            while os.getppid() != 1 and _alive(worker_pid):
                time.sleep(1)
        else:
            select.select([handle], [], [])
        os._exit(1)

    threading.Thread(target=watch, name="ocr-watch-worker", daemon=True).start()


def _alive(pid: int) -> bool:  # pragma: no cover - fallback only
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _serve(
    conn: Connection, worker_pid: int, recogniser_path: str, backend: str, tessdata: str | None
) -> None:
    """The child's loop: read images from ``conn``, answer with letters or an error."""
    _exit_with(worker_pid)
    module_name, _, function_name = recogniser_path.rpartition(".")
    recognise: Callable[..., Recognition] = getattr(
        importlib.import_module(module_name), function_name
    )
    # Load the engine before the first deadline starts; a failure is reported to each
    # request that needs the engine.
    with contextlib.suppress(EngineError):
        check_engine(backend, tessdata=tessdata)
    conn.send(READY)
    while True:
        try:
            mode, size, pixels = conn.recv()
        except EOFError:  # the web worker went away
            return
        try:
            image = Image.frombytes(mode, size, pixels)
            recognition = recognise(image, backend=backend, tessdata=tessdata)
            reply: tuple[str, Any] = ("ok", recognition)
        except EngineError as exc:
            reply = ("error", exc)
        except Exception as exc:
            reply = ("error", EngineUnavailable(f"The engine failed: {exc!r}"))
        conn.send(reply)


class _RecognitionProcess:
    def __init__(self, key: tuple[str, str, str | None]) -> None:
        self.key = key
        context = multiprocessing.get_context("forkserver")
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child_conn, os.getpid(), *key), name="ocr-recognition", daemon=True
        )
        self.process.start()
        child_conn.close()
        try:
            ready = self.conn.poll(STARTUP_SECONDS) and self.conn.recv() == READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.stop()
            raise EngineCrashed("The recognition process did not start.")

    def recognise(self, image: Image.Image, timeout: float) -> Recognition:
        try:
            self.conn.send((image.mode, image.size, image.tobytes()))
            if not self.conn.poll(timeout):
                raise RecognitionTimeout(_timeout_message(timeout))
            status, payload = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise EngineCrashed(
                f"The recognition process stopped (exit code {self.process.exitcode})."
            ) from exc
        if status == "error":
            raise payload
        return payload

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


_local = threading.local()


def _timeout_message(timeout: float) -> str:
    return f"Reading the image took longer than the limit of {timeout:g} seconds."


def _recognise_here(
    image: Image.Image, *, backend: str, tessdata: str | None, timeout: float
) -> Recognition:
    recognise: Callable[..., Recognition] = import_string(settings.OCR_RECOGNISER)
    try:
        return recognise(image, backend=backend, tessdata=tessdata, timeout=timeout)
    except RecognitionTimeout as exc:
        raise RecognitionTimeout(_timeout_message(timeout)) from exc
    except EngineError:
        raise
    except Exception as exc:
        logger.exception("The OCR engine failed")
        raise EngineUnavailable(f"The engine failed: {exc!r}") from exc


def recognise_letters(
    image: Image.Image, *, backend: str, tessdata: str | None, timeout: float
) -> Recognition:
    """Read the letters in ``image``, or raise ``RecognitionTimeout`` after ``timeout``
    seconds; any other failure of the engine is an ``EngineError``."""
    if not settings.OCR_RECOGNITION_PROCESS:
        return _recognise_here(image, backend=backend, tessdata=tessdata, timeout=timeout)
    key = (settings.OCR_RECOGNISER, backend, tessdata)
    worker: _RecognitionProcess | None = getattr(_local, "worker", None)
    if worker is not None and (worker.key != key or not worker.process.is_alive()):
        worker.stop()
        worker = None
    if worker is None:
        worker = _local.worker = _RecognitionProcess(key)
    try:
        return worker.recognise(image, timeout)
    except (RecognitionTimeout, EngineCrashed):
        logger.warning("Stopping recognition process %s", worker.process.pid)
        worker.stop()
        _local.worker = None
        raise
