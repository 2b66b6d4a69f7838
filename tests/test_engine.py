"""Engine tests on drawn images (plain pytest, no Django).

Run: python -m pytest tests/test_engine.py -p no:django -q

Both backends go through the same pipeline; the pytesseract one starts a process
per Tesseract read, so it gets a subset of the letters.
"""

import io
import string

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_record.engine import (
    EngineUnavailable,
    Recognition,
    check_engine,
    load_image,
    recognise_letters,
)

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
FONTS = {"sans": DEJAVU + "DejaVuSans.ttf", "serif": DEJAVU + "DejaVuSerif.ttf"}
BACKENDS = ["tesserocr", "pytesseract"]
# Lone letters whose two cases have one shape: either case is right (the benchmark rule).
CASELESS = "cosuvwxz"


def draw(
    text: str,
    *,
    font: str = "sans",
    size: int = 48,
    ink: tuple | int = 0,
    paper: tuple | int = 255,
    mode: str = "L",
    margin: int | None = None,
) -> Image.Image:
    face = ImageFont.truetype(FONTS[font], size)
    left, top, right, bottom = face.getbbox(text)
    margin = size // 2 if margin is None else margin
    image = Image.new(mode, (right - left + 2 * margin, bottom - top + 2 * margin), paper)
    ImageDraw.Draw(image).text((margin - left, margin - top), text, font=face, fill=ink)
    return image


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def read(image: Image.Image, backend: str = "tesserocr", fmt: str = "PNG") -> Recognition:
    return recognise_letters(load_image(encode(image, fmt)), backend=backend)


def same(expected: str, letters: list[str]) -> bool:
    got = "".join(letters).replace("I", "l")
    expected = expected.replace("I", "l")
    if len(expected) == 1 and expected.lower() in CASELESS:
        return got.lower() == expected.lower()
    return got == expected


@pytest.mark.parametrize("font", sorted(FONTS))
@pytest.mark.parametrize("letter", list(string.ascii_letters))
def test_each_letter_tesserocr(letter, font):
    result = read(draw(letter, font=font))
    assert same(letter, result.letters), result


@pytest.mark.parametrize("font", sorted(FONTS))
@pytest.mark.parametrize("letter", list("AgKqRwjt"))
def test_letters_pytesseract(letter, font):
    result = read(draw(letter, font=font), backend="pytesseract")
    assert same(letter, result.letters), result


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("text", "font"),
    [("Hello", "sans"), ("OCRtest", "serif"), ("xyzABC", "sans"), ("Quick Fox", "serif")],
)
def test_strings(text, font, backend):
    result = read(draw(text, font=font), backend=backend)
    assert "".join(result.letters) == text.replace(" ", "")
    assert len(result.confidences) == len(result.letters)
    assert all(0 <= c <= 100 for c in result.confidences)


@pytest.mark.parametrize("backend", BACKENDS)
def test_light_on_dark(backend):
    result = read(draw("Mkq", ink=250, paper=20), backend=backend)
    assert result.letters == ["M", "k", "q"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_coloured_jpeg(backend):
    image = draw("Bird", ink=(200, 30, 30), paper=(240, 230, 120), mode="RGB")
    assert read(image, backend=backend, fmt="JPEG").letters == list("Bird")


@pytest.mark.parametrize("backend", BACKENDS)
def test_transparent_png(backend):
    image = draw("Tag", ink=(0, 0, 0, 255), paper=(255, 255, 255, 0), mode="RGBA")
    assert read(image, backend=backend).letters == list("Tag")


@pytest.mark.parametrize("backend", BACKENDS)
def test_tiny_image(backend):
    result = read(draw("Rb", size=13, margin=3), backend=backend)
    assert result.letters == ["R", "b"]


def test_huge_image():
    image = draw("G", size=900, margin=400)
    assert min(image.size) > 1400
    assert read(image).letters == ["G"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_image(backend):
    result = read(Image.new("L", (120, 80), 255), backend=backend)
    assert result.letters == []
    assert result.confidences == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_faint_noise_is_not_text(backend):
    rng = np.random.default_rng(1)
    pixels = (235 + rng.normal(0, 3, (90, 140))).clip(0, 255).astype(np.uint8)
    assert read(Image.fromarray(pixels, mode="L"), backend=backend).letters == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_letter_picture(backend):
    # A smooth gradient with a filled disc and a thick bar: shapes, not letters.
    ramp = np.tile(np.linspace(60, 230, 200), (120, 1)).astype(np.uint8)
    image = Image.fromarray(ramp, mode="L").convert("RGB")
    canvas = ImageDraw.Draw(image)
    canvas.rectangle((20, 30, 110, 95), fill=(10, 10, 10))
    result = read(image, backend=backend)
    assert result.letters == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_check_engine_loads(backend):
    check_engine(backend)


def test_check_engine_unknown_backend():
    with pytest.raises(EngineUnavailable, match="Unknown OCR backend"):
        check_engine("no-such-backend")


def test_check_engine_missing_language_data(tmp_path):
    with pytest.raises(EngineUnavailable, match="cannot load"):
        check_engine("tesserocr", tessdata=str(tmp_path))


def test_missing_classifier_is_engine_unavailable(tmp_path):
    from ocr_record.engine.classify import load_model

    with pytest.raises(EngineUnavailable, match="classifier"):
        load_model(tmp_path / "missing.npz")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("word", ["Dog", "Hxk", "Quiz"])
def test_touching_letters(word, backend):
    # Letters drawn 4 px into each other: one blob that must come out letter by letter,
    # with the case of o/x/z taken from their height next to their neighbours.
    face = ImageFont.truetype(FONTS["serif"], 40)
    image = Image.new("L", (260, 80), 255)
    canvas = ImageDraw.Draw(image)
    x = 15
    for letter in word:
        canvas.text((x, 15), letter, font=face, fill=0)
        x += face.getbbox(letter)[2] - 4
    assert read(image, backend=backend).letters == list(word)
