"""Faulty recognisers for the fault tests; the recognition process imports them by name
(``OCR_RECOGNISER``). Everything else about a request stays real."""

import os
import time
from pathlib import Path

from ocr_record.engine import recognise_letters

# An image this wide makes ``block_on_marker_width`` block (and signal that it has).
MARKER_WIDTH = 77


def crash(image, **kwargs):
    """Tesseract dying in C code looks like this to the process: an abort signal."""
    os.abort()


def exit_quietly(image, **kwargs):
    os._exit(3)


def raise_bug(image, **kwargs):
    raise ZeroDivisionError("a bug inside the engine")


def block_on_marker_width(image, **kwargs):
    """Real recognition, except that an image MARKER_WIDTH wide hangs (for two minutes
    at most) after writing this process's id to the file named by OCR_FAULT_MARKER."""
    if image.width == MARKER_WIDTH:
        Path(os.environ["OCR_FAULT_MARKER"]).write_text(str(os.getpid()))
        for _ in range(120):
            time.sleep(1)
        os._exit(1)
    return recognise_letters(image, **kwargs)
