"""The OCR engine: the only place that decodes images and talks to Tesseract.

Public interface (everything else in the package is an implementation detail):

- ``load_image(data, *, max_pixels)`` decodes and normalises uploaded bytes to an
  8-bit greyscale Pillow image, or raises an ``InvalidImage`` subclass.
- ``recognise_letters(image, *, backend, tessdata)`` returns a ``Recognition``: the
  letters read, left to right, each with a confidence from 0 to 100. How they are
  read is described in ``pipeline``; a repeated image is answered from memory.
- ``get_engine(backend)`` returns the per-process Tesseract backend (loaded once);
  ``check_engine`` raises ``EngineUnavailable`` with a message when Tesseract, its
  language data or the shipped glyph classifier cannot be loaded.
"""

from ocr_record.engine.errors import (
    EngineError,
    EngineUnavailable,
    ImageTooLarge,
    InvalidImage,
    RecognitionTimeout,
    UnsupportedImageFormat,
)
from ocr_record.engine.images import SUPPORTED_FORMATS, load_image
from ocr_record.engine.recognise import (
    BACKENDS,
    Recognition,
    check_engine,
    get_engine,
    recognise_letters,
)

__all__ = [
    "BACKENDS",
    "SUPPORTED_FORMATS",
    "EngineError",
    "EngineUnavailable",
    "ImageTooLarge",
    "InvalidImage",
    "Recognition",
    "RecognitionTimeout",
    "UnsupportedImageFormat",
    "check_engine",
    "get_engine",
    "load_image",
    "recognise_letters",
]
