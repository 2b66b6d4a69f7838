"""Shared fixtures: an API client and images drawn with real fonts."""

import contextlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont
from rest_framework.test import APIClient

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SANS = FONT_DIR / "DejaVuSans.ttf"
SERIF = FONT_DIR / "DejaVuSerif.ttf"

PARSE_LETTER_URL = "/api/ocr_record/parse_letter/"
LIST_URL = "/api/ocr_record/"


def draw_text(
    text: str,
    *,
    font_path: Path = SANS,
    size: int = 64,
    colour: str = "black",
    background: str | tuple = "white",
    mode: str = "RGB",
) -> Image.Image:
    """``text`` drawn with a margin around it, the way a client would send it."""
    font = ImageFont.truetype(str(font_path), size)
    left, top, right, bottom = font.getbbox(text)
    margin = size // 2
    image = Image.new(mode, (right - left + 2 * margin, bottom - top + 2 * margin), background)
    ImageDraw.Draw(image).text((margin - left, margin - top), text, font=font, fill=colour)
    return image


def encode(image: Image.Image, image_format: str = "PNG", **save_args) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save_args)
    return buffer.getvalue()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def text_png() -> Callable[..., bytes]:
    """PNG bytes of drawn text: ``text_png("Hello")``."""

    def make(text: str, **draw_args) -> bytes:
        return encode(draw_text(text, **draw_args))

    return make


@pytest.fixture
def post_image(api_client: APIClient) -> Callable:
    """POST bytes as the ``image`` field of a multipart upload."""

    def post(data: bytes, *, name: str = "image.png", content_type: str = "image/png"):
        upload = SimpleUploadedFile(name, data, content_type=content_type)
        return api_client.post(PARSE_LETTER_URL, {"image": upload}, format="multipart")

    return post


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Stored images go to a folder of the test's own, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def record_of(text_png) -> Callable:
    """A record made by the upload code path from drawn text: ``record_of("Hello")``.

    Returns ``(record, image bytes)``.
    """
    from ocr_record.services import parse_letters

    def make(text: str, **draw_args):
        data = text_png(text, **draw_args)
        return parse_letters(data=data), data

    return make


ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "test-artifacts"
_saved_artifacts: list[Path] = []


@pytest.fixture
def artifact_path() -> Callable[[str], Path]:
    """A path under ``test-artifacts/`` (git-ignored); listed at the end of the run."""

    def path(name: str) -> Path:
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        target = ARTIFACTS_DIR / name
        _saved_artifacts.append(target)
        return target

    return path


def pytest_terminal_summary(terminalreporter) -> None:
    saved = [path for path in _saved_artifacts if path.exists()]
    if saved:
        terminalreporter.write_sep("-", "test artifacts")
        for path in saved:
            terminalreporter.write_line(str(path))


class WsgiResult:
    """What a raw WSGI call answered, and how much of the body the app read."""

    def __init__(self, status: str, headers: list, body: bytes, bytes_read: int) -> None:
        self.status_code = int(status.split(" ", 1)[0])
        self.headers = dict(headers)
        self.content = body
        self.bytes_read = bytes_read

    def json(self):
        import json

        return json.loads(self.content)


class CountingStream:
    """A request body that counts what is read and ends early like a closed socket."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size if size is not None and size >= 0 else -1)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        line = self._stream.readline(size)
        self.bytes_read += len(line)
        return line


@contextlib.contextmanager
def keep_test_database_connection():
    """Like Django's test client: a request through the bare WSGI handler must not close
    the connection that holds the test's transaction (PostgreSQL)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def call_wsgi(
    body: bytes,
    *,
    content_type: str,
    content_length: int | None = None,
    path: str = PARSE_LETTER_URL,
    method: str = "POST",
    extra: dict | None = None,
) -> WsgiResult:
    """Send ``body`` straight to the WSGI application, as a server would."""
    from django.core.handlers.wsgi import WSGIHandler

    stream = CountingStream(body)
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body) if content_length is None else content_length),
        "wsgi.input": stream,
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **(extra or {}),
    }
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    with keep_test_database_connection():
        response = WSGIHandler()(environ, start_response)
        try:
            content = b"".join(response)
        finally:
            if hasattr(response, "close"):
                response.close()
    return WsgiResult(started["status"], started["headers"], content, stream.bytes_read)


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"----ocrtestboundary") -> bytes:
    """A multipart body from (part headers, part body) pairs, built byte by byte."""
    out = b""
    for headers, content in parts:
        out += b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


MULTIPART_TYPE = "multipart/form-data; boundary=----ocrtestboundary"


@pytest.fixture
def bomb_png() -> Callable[[int, int], bytes]:
    """A small, valid-looking PNG whose header declares ``width`` x ``height`` pixels."""
    import struct
    import zlib

    def make(width: int, height: int) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return (
                struct.pack(">I", len(data))
                + kind
                + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
            )

        header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
        pixels = zlib.compress(b"\0" * 4096)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b"")
        )

    return make
