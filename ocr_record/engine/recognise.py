"""The engine's entry points and its two Tesseract backends.

``recognise_letters`` runs the reading pipeline (``pipeline.Reader``: ink map,
segmentation, our glyph classifier, Tesseract's second opinion, case from geometry)
and remembers the answers for images it has already seen.

The backends are only how Tesseract is reached; both serve the same pipeline:

- ``tesserocr`` (default): libtesseract in process, one API object per thread and
  page-segmentation mode, loaded once, so one glyph costs a few milliseconds.
- ``pytesseract``: runs the ``tesseract`` command per read. Much slower, for
  platforms without the tesserocr wheel.
"""

import logging
import os
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from PIL import Image

from ocr_record.engine.errors import EngineUnavailable
from ocr_record.engine.pipeline import WORD_PSM, Reader

logger = logging.getLogger(__name__)

LETTERS: str = string.ascii_letters
DEFAULT_LANGUAGE: str = "eng"
SINGLE_CHAR_PSM: int = 10

# Tesseract's OpenMP threads fight each other when several workers share the cores.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@dataclass(frozen=True)
class Recognition:
    """The letters read from one image, each with a confidence from 0 to 100."""

    letters: list[str] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)


# (text, confidence 0-100 or -1 when unknown, (x0, y0, x1, y1) in the image read)
Symbol = tuple[str, float, tuple[int, int, int, int]]


class Backend(Protocol):
    name: str

    def read_symbols(self, image: Image.Image, *, psm: int = SINGLE_CHAR_PSM) -> list[Symbol]:
        """Return (symbol, confidence, box) triples Tesseract read in ``image``."""

    def read(self, image: Image.Image, *, psm: int = SINGLE_CHAR_PSM) -> list[tuple[str, float]]:
        """Return (symbol, confidence) pairs Tesseract read in ``image``."""


class TesserocrBackend:
    """libtesseract through tesserocr: one loaded API object per thread."""

    name = "tesserocr"

    def __init__(self, *, tessdata: str | None = None, language: str = DEFAULT_LANGUAGE) -> None:
        try:
            import tesserocr
        except ImportError as exc:  # pragma: no cover - depends on the platform
            raise EngineUnavailable(f"tesserocr cannot be imported: {exc}") from exc
        self._tesserocr = tesserocr
        self._tessdata = tessdata or _default_tessdata(tesserocr)
        self._language = language
        self._local = threading.local()
        # Fail now, not on the first request; and load both modes the pipeline uses
        # (single character, and one word for touching letters) while we are at it.
        self._api(SINGLE_CHAR_PSM)
        self._api(WORD_PSM)

    def _api(self, psm: int):
        apis = self._local.__dict__.setdefault("apis", {})
        if psm not in apis:
            tesserocr = self._tesserocr
            try:
                api = tesserocr.PyTessBaseAPI(
                    path=self._tessdata,
                    lang=self._language,
                    psm=psm,
                    oem=tesserocr.OEM.DEFAULT,
                )
            except RuntimeError as exc:
                raise EngineUnavailable(
                    f"Tesseract cannot load language {self._language!r} "
                    f"from {self._tessdata!r}: {exc}"
                ) from exc
            api.SetVariable("tessedit_char_whitelist", LETTERS)
            apis[psm] = api
        return apis[psm]

    def read(self, image: Image.Image, *, psm: int = SINGLE_CHAR_PSM) -> list[tuple[str, float]]:
        return [(text, conf) for text, conf, _box in self.read_symbols(image, psm=psm)]

    def read_symbols(self, image: Image.Image, *, psm: int = SINGLE_CHAR_PSM) -> list[Symbol]:
        """(text, confidence, box) per symbol; box is (x0, y0, x1, y1) in ``image``."""
        api = self._api(psm)
        api.SetImage(image)
        api.Recognize()
        symbols: list[Symbol] = []
        iterator = api.GetIterator()
        level = self._tesserocr.RIL.SYMBOL
        if iterator is not None:
            for symbol in self._tesserocr.iterate_level(iterator, level):
                try:
                    text = symbol.GetUTF8Text(level)
                except RuntimeError:  # an empty result: nothing was read
                    continue
                if text:
                    box = symbol.BoundingBox(level) or (0, 0, image.width, image.height)
                    symbols.append((text, symbol.Confidence(level), tuple(box)))
        api.Clear()
        return symbols


class PytesseractBackend:
    """The ``tesseract`` command, started once per image."""

    name = "pytesseract"

    def __init__(self, *, tessdata: str | None = None, language: str = DEFAULT_LANGUAGE) -> None:
        import pytesseract

        self._pytesseract = pytesseract
        self._language = language
        self._tessdata = tessdata
        try:
            self._version = pytesseract.get_tesseract_version()
        except (pytesseract.TesseractNotFoundError, OSError) as exc:
            raise EngineUnavailable(f"The tesseract command cannot be run: {exc}") from exc

    def _config(self, psm: int) -> str:
        config = f"--psm {psm} -c tessedit_char_whitelist={LETTERS}"
        if self._tessdata:
            config += f' --tessdata-dir "{self._tessdata}"'
        return config

    def read(self, image: Image.Image, *, psm: int = SINGLE_CHAR_PSM) -> list[tuple[str, float]]:
        try:
            text = self._pytesseract.image_to_string(
                image, lang=self._language, config=self._config(psm)
            )
        except (self._pytesseract.TesseractError, OSError) as exc:
            raise EngineUnavailable(f"Tesseract failed: {exc}") from exc
        # The command line gives no per-symbol confidence; report it as unknown (-1).
        return [(char, -1.0) for char in text if not char.isspace()]

    def read_symbols(self, image: Image.Image, *, psm: int = SINGLE_CHAR_PSM) -> list[Symbol]:
        """(text, -1, box) per symbol: the command line's box file has no confidence."""
        try:
            boxes = self._pytesseract.image_to_boxes(
                image, lang=self._language, config=self._config(psm)
            )
        except (self._pytesseract.TesseractError, OSError) as exc:
            raise EngineUnavailable(f"Tesseract failed: {exc}") from exc
        symbols: list[Symbol] = []
        for line in boxes.splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[0] in LETTERS:
                x0, y0, x1, y1 = (int(v) for v in parts[1:5])
                # Box files count rows from the bottom of the image.
                symbols.append((parts[0], -1.0, (x0, image.height - y1, x1, image.height - y0)))
        return symbols


BACKENDS: dict[str, Callable[..., Backend]] = {
    TesserocrBackend.name: TesserocrBackend,
    PytesseractBackend.name: PytesseractBackend,
}


# Where distributions put the language data. Checked before asking tesserocr, whose
# get_languages() took 12 s per process on the build machine.
KNOWN_TESSDATA: tuple[str, ...] = (
    "/usr/share/tesseract-ocr/5/tessdata/",
    "/usr/share/tesseract-ocr/4.00/tessdata/",
    "/usr/share/tessdata/",
    "/usr/local/share/tessdata/",
    "/opt/homebrew/share/tessdata/",
)


def _has_language(path: str | None) -> bool:
    return bool(path) and os.path.exists(os.path.join(path, f"{DEFAULT_LANGUAGE}.traineddata"))


def _default_tessdata(tesserocr) -> str:
    prefix = os.environ.get("TESSDATA_PREFIX")
    for candidate in (prefix, *KNOWN_TESSDATA):
        if _has_language(candidate):
            return candidate
    path, _languages = tesserocr.get_languages()
    return path


_engine_lock = threading.Lock()


@cache
def _load(backend: str, tessdata: str | None) -> Backend:
    try:
        factory = BACKENDS[backend]
    except KeyError as exc:
        raise EngineUnavailable(
            f"Unknown OCR backend {backend!r}; choose one of {', '.join(BACKENDS)}."
        ) from exc
    return factory(tessdata=tessdata)


def get_engine(backend: str = TesserocrBackend.name, *, tessdata: str | None = None) -> Backend:
    """The process's engine for ``backend``, loaded on first use."""
    with _engine_lock:
        return _load(backend, tessdata)


def check_engine(backend: str = TesserocrBackend.name, *, tessdata: str | None = None) -> None:
    """Raise ``EngineUnavailable`` when the engine cannot be loaded."""
    _reader(backend, tessdata)


@cache
def _reader(backend: str, tessdata: str | None) -> Reader:
    return Reader(get_engine(backend, tessdata=tessdata))


def recognise_letters(
    image: Image.Image,
    *,
    backend: str = TesserocrBackend.name,
    tessdata: str | None = None,
    timeout: float | None = None,
) -> Recognition:
    """Read the letters A-Z a-z in a normalised greyscale image (see ``pipeline``).

    With ``timeout`` (seconds), raise ``RecognitionTimeout`` once it has passed.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    reader = _reader(backend, tessdata)
    if image.mode != "L":
        image = image.convert("L")
    letters, confidences = reader.read(image, deadline=deadline)
    return Recognition(letters=list(letters), confidences=list(confidences))
