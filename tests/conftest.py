"""Shared fixtures: an API client and images drawn with real fonts."""

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
