"""A corpus of hostile uploads to parse_letter.

Valid images in awkward shapes are read (the first frame of an animation, EXIF rotation
applied, any pixel mode) and stored once; everything else answers 4xx with a message
and stores nothing. Each case asserts its status, its message and what is stored.
"""

import hashlib
import io
import struct
import sys
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from ocr_record.models import OcrRecord
from tests.conftest import (
    MULTIPART_TYPE,
    PARSE_LETTER_URL,
    call_wsgi,
    draw_text,
    encode,
    multipart,
)

pytestmark = pytest.mark.django_db

NOT_AN_IMAGE = (
    "The file is not an image that can be read. Send one of: PNG, JPEG, GIF, BMP, WEBP, TIFF."
)
CORRUPT = "The image is truncated or corrupt and cannot be read."
ONE_FILE = "Send exactly one file in the field 'image'."
CUT_OFF = (
    "The upload ended before the file was complete; the body is shorter than its "
    "declared length or was cut off."
)


def assert_stored(response, data: bytes, letters: list[str]) -> None:
    """200 with ``letters``, and one record of exactly these bytes."""
    assert response.status_code == 200, response.content
    assert response.json() == {"content": letters}
    record = OcrRecord.objects.get()
    assert record.image_md5 == hashlib.md5(data).hexdigest()
    assert record.image_size == len(data)
    assert record.content == letters


def assert_refused(response, status: int, message: str, code: str | None = None) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    if code is None:  # DRF's field-error dict
        assert body == {"image": [message]}
    else:
        assert body == {"detail": message, "code": code}
    assert OcrRecord.objects.count() == 0


def frames(*texts: str, image_format: str, **save_args) -> bytes:
    """An animation or multi-page file with one drawn text per frame, all one size."""
    images = [draw_text(text, size=64) for text in texts]
    width = max(image.width for image in images)
    height = max(image.height for image in images)
    padded = []
    for image in images:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(image, (0, 0))
        padded.append(canvas)
    buffer = io.BytesIO()
    padded[0].save(buffer, image_format, save_all=True, append_images=padded[1:], **save_args)
    return buffer.getvalue()


def with_orientation(text: str, orientation: int, stored_as: Image.Transpose) -> bytes:
    """A JPEG stored turned by ``stored_as`` whose EXIF orientation turns it back."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(draw_text(text).transpose(stored_as), "JPEG", quality=95, exif=exif.tobytes())


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def sixteen_bit(text: str) -> Image.Image:
    grey = draw_text(text).convert("L")
    return Image.frombytes(
        "I;16", grey.size, bytes(b for value in grey.tobytes() for b in (value, value))
    )


def float_image(text: str) -> Image.Image:
    grey = draw_text(text).convert("L")
    return grey.convert("F").point(lambda value: value / 255.0)


def transparent(mode: str, text: str) -> Image.Image:
    if mode == "LA":
        return draw_text(text, mode="LA", background=(0, 0), colour=(0, 255))
    image = draw_text(text, mode="RGBA", background=(0, 0, 0, 0), colour=(0, 0, 0, 255))
    return image.convert("P") if mode == "P" else image


# --- Valid images in awkward shapes: read and stored -------------------------------

ACCEPTED = {
    # name: (bytes, letters expected)
    "1x1 white PNG": (encode(Image.new("L", (1, 1), 255)), []),
    "1x1 black PNG": (encode(Image.new("L", (1, 1), 0)), []),
    "1x1 JPEG": (encode(Image.new("RGB", (1, 1), "white"), "JPEG"), []),
    "1x1 GIF": (encode(Image.new("P", (1, 1)), "GIF"), []),
    "1x1 BMP": (encode(Image.new("1", (1, 1)), "BMP"), []),
    "1x1 WebP": (encode(Image.new("RGB", (1, 1)), "WEBP", lossless=True), []),
    "1x1 TIFF": (encode(Image.new("F", (1, 1)), "TIFF"), []),
    "fully transparent PNG": (encode(Image.new("RGBA", (40, 40), (0, 0, 0, 0))), []),
    "multi-frame GIF (first frame read)": (frames("Hi", "Zq", image_format="GIF"), ["H", "i"]),
    "multi-page TIFF (first page read)": (frames("Hi", "Zq", image_format="TIFF"), ["H", "i"]),
    "animated PNG (first frame read)": (frames("Hi", "Zq", image_format="PNG"), ["H", "i"]),
    "animated WebP (first frame read)": (
        frames("Hi", "Zq", image_format="WEBP", lossless=True),
        ["H", "i"],
    ),
    "GIF of 200 frames": (frames(*["Hi"] * 200, image_format="GIF"), ["H", "i"]),
    "16-bit greyscale PNG": (encode(sixteen_bit("Hi")), ["H", "i"]),
    "I;16 TIFF": (encode(sixteen_bit("Hi"), "TIFF"), ["H", "i"]),
    "32-bit integer TIFF": (encode(draw_text("Hi").convert("I"), "TIFF"), ["H", "i"]),
    "float TIFF": (encode(float_image("Hi"), "TIFF"), ["H", "i"]),
    "CMYK JPEG": (encode(draw_text("Cm").convert("CMYK"), "JPEG", quality=95), ["C", "m"]),
    "CMYK TIFF": (encode(draw_text("Cm").convert("CMYK"), "TIFF"), ["C", "m"]),
    "palette PNG": (encode(draw_text("Pa").convert("P")), ["P", "a"]),
    "palette PNG with transparency": (encode(transparent("P", "Pa")), ["P", "a"]),
    "LA PNG (grey and alpha)": (encode(transparent("LA", "La")), ["L", "a"]),
    "1-bit PNG": (encode(draw_text("Bw").convert("1")), ["B", "w"]),
    "EXIF orientation 6 JPEG": (with_orientation("Up", 6, Image.Transpose.ROTATE_90), ["U", "p"]),
    "EXIF orientation 8 JPEG": (with_orientation("Up", 8, Image.Transpose.ROTATE_270), ["U", "p"]),
    "EXIF orientation 3 JPEG": (with_orientation("Up", 3, Image.Transpose.ROTATE_180), ["U", "p"]),
    "PNG with trailing garbage": (encode(draw_text("Tg")) + b"\0GARBAGE" * 4096, ["T", "g"]),
    "JPEG with trailing garbage": (
        encode(draw_text("Tg"), "JPEG", quality=95) + b"<script>" * 512,
        ["T", "g"],
    ),
    "GIF with trailing garbage": (encode(draw_text("Tg"), "GIF") + bytes(range(256)), ["T", "g"]),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_valid_image_in_an_awkward_shape_is_read_and_stored(post_image, name):
    data, letters = ACCEPTED[name]

    assert_stored(post_image(data, name="upload", content_type=""), data, letters)


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../etc/passwd.png",
        "..\\..\\windows\\system32\\x.png",
        "/absolute/path/x.png",
        "nul\x00byte.png",
        "x" * 5000 + ".png",
        "字母 ✓ 🙂.png",
        "",
    ],
    ids=["dotdot", "backslashes", "absolute", "nul", "5000 chars", "unicode", "empty"],
)
def test_hostile_filename_changes_nothing_but_the_name(filename, tmp_path, monkeypatch, settings):
    """The name is never used: the image is read and stored under its MD5, nothing else
    is written to disk."""
    monkeypatch.chdir(tmp_path)
    data = encode(draw_text("Nm"))
    part_headers = (
        b'Content-Disposition: form-data; name="image"; filename="'
        + filename.encode()
        + b'"\r\nContent-Type: image/png'
    )

    result = call_wsgi(multipart([(part_headers, data)]), content_type=MULTIPART_TYPE)

    if filename == "":  # no filename: the part is a text field, not a file
        assert result.status_code == 400
        assert result.json() == {
            "image": ["The submitted data was not a file. Check the encoding type on the form."]
        }
        assert OcrRecord.objects.count() == 0
    elif len(filename) > 1000:  # Django caps a part's headers at 1,024 bytes
        assert result.status_code == 400
        assert result.json() == {
            "detail": "Multipart form parse error - Request max total header size exceeded.",
            "code": "parse_error",
        }
        assert OcrRecord.objects.count() == 0
    else:
        assert_stored(result, data, ["N", "m"])
        stored = [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
        assert [path.name for path in stored] == [f"{hashlib.md5(data).hexdigest()}.png"]
    assert [path for path in tmp_path.iterdir() if path != settings.MEDIA_ROOT] == []


def test_unicode_in_every_text_part(api_client):
    data = encode(draw_text("Uc"))
    upload = SimpleUploadedFile("图片 ✓.png", data, content_type="image/png; name=字母")

    response = api_client.post(
        PARSE_LETTER_URL,
        {"image": upload, "备注": "你好 🙂", "note": "Ünïcödé\u202e"},
        format="multipart",
    )

    assert_stored(response, data, ["U", "c"])


def test_unicode_field_name_for_the_file(api_client):
    upload = SimpleUploadedFile("a.png", encode(draw_text("A")), content_type="image/png")

    response = api_client.post(PARSE_LETTER_URL, {"图片": upload}, format="multipart")

    assert_refused(response, 400, "No file was submitted.")


# --- Declared sizes far beyond the pixel limit -------------------------------------


def _gif_declaring(width: int, height: int) -> bytes:
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0x80, 0, 0)
        + b"\0\0\0\xff\xff\xff"
        + b",\0\0\0\0"
        + struct.pack("<HH", width, height)
        + b"\0\x02\x02\x44\x01\0;"
    )


def _bmp_declaring(width: int, height: int) -> bytes:
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + 12, 0, 0, 54) + header + b"\0" * 12


def _tiff_declaring(width: int, height: int) -> bytes:
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8),
        (277, 3, 1, 1),
        (278, 4, 1, height),
        (279, 4, 1, 16),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHII", tag, kind, count, value)
    return b"II*\0" + struct.pack("<I", 8 + 16) + b"\0" * 16 + ifd + b"\0\0\0\0"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("PNG 100000x100000", None),
        ("GIF 65535x65535", lambda: _gif_declaring(65535, 65535)),
        ("BMP 60000x60000", lambda: _bmp_declaring(60000, 60000)),
        ("TIFF 100000x100000", lambda: _tiff_declaring(100_000, 100_000)),
        ("PNG 6000x6000 (over the limit, under Pillow's)", "png6000"),
    ],
)
def test_a_header_declaring_too_many_pixels_is_refused_unread(post_image, bomb_png, name, make):
    if make is None:
        data = bomb_png(100_000, 100_000)
    elif make == "png6000":
        data = bomb_png(6000, 6000)
    else:
        data = make()

    response = post_image(data, name="bomb", content_type="")

    assert response.status_code == 413, response.content
    body = response.json()
    assert body["code"] == "image_too_large"
    assert body["detail"].startswith("The image has too many pixels")
    assert body["detail"].endswith("the limit is 25000000 pixels.")
    assert OcrRecord.objects.count() == 0


def test_the_pixel_limit_is_inclusive(post_image):
    data = encode(Image.new("L", (100, 50), 255))

    with override_settings(OCR_MAX_IMAGE_PIXELS=5000):
        assert post_image(data).status_code == 200
    with override_settings(OCR_MAX_IMAGE_PIXELS=4999):
        assert post_image(encode(Image.new("L", (100, 50), 254))).status_code == 413
    assert OcrRecord.objects.count() == 1


# --- Files that are not (whole) images ---------------------------------------------

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<text>A</text></svg>"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script><img src=x></body></html>"
PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("image.png", encode(draw_text("Z")))
    return buffer.getvalue()


def _executable() -> bytes:
    with open(sys.executable, "rb") as handle:
        return handle.read(64 * 1024)


def _png_text_bomb() -> bytes:
    """A 1x1 PNG with a zTXt chunk that inflates to 64 MB."""
    png = encode(Image.new("L", (1, 1), 255))
    bomb = png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"\0" * (64 * 1024 * 1024), 9))
    return png[:33] + bomb + png[33:]


TRUNCATED_OR_NOT = {
    # name: (bytes, message)
    "SVG": (SVG, NOT_AN_IMAGE),
    "HTML": (HTML, NOT_AN_IMAGE),
    "PDF": (PDF, NOT_AN_IMAGE),
    "ZIP holding a PNG": (_zip(), NOT_AN_IMAGE),
    "executable renamed .png": (_executable(), NOT_AN_IMAGE),
    "PNG signature only": (b"\x89PNG\r\n\x1a\n", NOT_AN_IMAGE),
    "truncated PNG": (encode(draw_text("Tr"))[:300], CORRUPT),
    "truncated JPEG": (encode(draw_text("Tr", size=96), "JPEG")[:1500], CORRUPT),
    "JPEG header only": (encode(draw_text("Tr"), "JPEG")[:2], NOT_AN_IMAGE),
    "PNG declaring 0x0": (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 0, 8, 0, 0, 0, 0)),
        NOT_AN_IMAGE,
    ),
    "PNG with a zTXt decompression bomb": (_png_text_bomb(), NOT_AN_IMAGE),
    "random bytes": (bytes(range(256)) * 64, NOT_AN_IMAGE),
}


@pytest.mark.parametrize("name", list(TRUNCATED_OR_NOT))
def test_a_file_that_is_not_a_whole_image_is_refused(post_image, name):
    data, message = TRUNCATED_OR_NOT[name]

    response = post_image(data, name="upload.png", content_type="image/png")

    assert_refused(response, 400, message, "invalid_image")


def test_an_empty_file(post_image):
    assert_refused(post_image(b""), 400, "The submitted file is empty.")


# --- Malformed requests ------------------------------------------------------------


def test_two_image_parts_in_one_request(api_client):
    first = SimpleUploadedFile("a.png", encode(draw_text("A")), content_type="image/png")
    second = SimpleUploadedFile("b.png", encode(draw_text("B")), content_type="image/png")

    response = api_client.post(PARSE_LETTER_URL, {"image": [first, second]}, format="multipart")

    assert_refused(response, 400, ONE_FILE)


def test_a_wrong_field_name(api_client):
    upload = SimpleUploadedFile("a.png", encode(draw_text("A")), content_type="image/png")

    response = api_client.post(PARSE_LETTER_URL, {"file": upload}, format="multipart")

    assert_refused(response, 400, "No file was submitted.")


def _image_part(data: bytes) -> tuple[bytes, bytes]:
    return (
        b'Content-Disposition: form-data; name="image"; filename="a.png"\r\n'
        b"Content-Type: image/png",
        data,
    )


def test_a_body_declared_longer_than_it_is():
    body = multipart([_image_part(encode(draw_text("Ln")))])

    result = call_wsgi(
        body[: len(body) // 2], content_type=MULTIPART_TYPE, content_length=len(body)
    )

    assert result.json() == {"detail": CUT_OFF, "code": "parse_error"}
    assert result.status_code == 400
    assert OcrRecord.objects.count() == 0


def test_a_body_declared_shorter_than_it_is():
    body = multipart([_image_part(encode(draw_text("Sh")))])

    result = call_wsgi(body, content_type=MULTIPART_TYPE, content_length=len(body) // 2)

    assert result.json() == {"detail": CUT_OFF, "code": "parse_error"}
    assert result.status_code == 400
    assert OcrRecord.objects.count() == 0


def test_multipart_without_a_boundary():
    body = multipart([_image_part(encode(draw_text("Nb")))])

    result = call_wsgi(body, content_type="multipart/form-data")

    assert result.status_code == 400
    assert result.json() == {
        "detail": "Multipart form parse error - Invalid boundary in multipart: None",
        "code": "parse_error",
    }
    assert OcrRecord.objects.count() == 0


def test_a_50_mb_upload_is_refused_by_size_before_it_is_read():
    body = multipart([_image_part(b"\xff" * (50 * 1024 * 1024))])

    result = call_wsgi(body, content_type=MULTIPART_TYPE)

    assert result.status_code == 413
    assert result.json() == {
        "detail": "The upload is larger than the limit of 10485760 bytes.",
        "code": "upload_too_large",
    }
    assert result.bytes_read == 0
    assert OcrRecord.objects.count() == 0


def test_a_large_upload_that_lies_about_its_length_is_stopped_at_the_limit():
    """A small Content-Length does not let more than the limit through."""
    body = multipart([_image_part(b"\xff" * (3 * 1024 * 1024))])

    with override_settings(OCR_MAX_UPLOAD_BYTES=1024 * 1024):
        result = call_wsgi(body, content_type=MULTIPART_TYPE, content_length=len(body))

    assert result.status_code == 413
    assert result.json()["detail"] == "The upload is larger than the limit of 1048576 bytes."
    assert result.bytes_read < 2 * 1024 * 1024
    assert OcrRecord.objects.count() == 0


# --- Mutated images: decoding never fails with anything but InvalidImage -------------


def _mutations(seed: int, count: int):
    import random

    rng = random.Random(seed)
    picture = draw_text("Mu", size=32)
    originals = [
        encode(picture, "PNG"),
        encode(picture, "JPEG", quality=80),
        encode(picture, "GIF"),
        encode(picture, "BMP"),
        encode(picture, "TIFF", compression="tiff_lzw"),
        encode(picture, "WEBP"),
        with_orientation("Mu", 6, Image.Transpose.ROTATE_90),
    ]
    for index in range(count):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            kind = rng.random()
            if kind < 0.6:
                data[position] = rng.randrange(256)
            elif kind < 0.8:
                del data[position : position + rng.randint(1, 64)]
            else:
                data[position:position] = bytes(rng.randrange(256) for _ in range(16))
        yield index, bytes(data)


@pytest.mark.filterwarnings("ignore::UserWarning:PIL")
def test_mutated_images_decode_or_are_refused_as_invalid():
    from ocr_record.engine import InvalidImage, load_image

    outcomes = {"decoded": 0, "refused": 0}
    for index, data in _mutations(seed=5, count=400):
        try:
            image = load_image(data, max_pixels=25_000_000)
        except InvalidImage as exc:
            assert str(exc), index
            outcomes["refused"] += 1
        else:
            assert image.mode == "L", index
            outcomes["decoded"] += 1
    assert outcomes["decoded"] and outcomes["refused"]  # both paths were exercised


_IMAGE_PART = (
    b'Content-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png',
    encode(draw_text("A")),
)


@pytest.mark.parametrize(
    ("parts", "body"),
    [
        (
            [(f'Content-Disposition: form-data; name="f{i}"'.encode(), b"x") for i in range(1001)],
            {"detail": "The form has more than 1000 fields.", "code": "too_many_fields"},
        ),
        (
            [(b'Content-Disposition: form-data; name="note"', b"x" * 3_000_000)],
            {
                "detail": "The form fields are larger than the limit of 2621440 bytes.",
                "code": "request_too_large",
            },
        ),
        (
            [
                (f'Content-Disposition: form-data; name="f{i}"; filename="{i}.png"'.encode(), b"x")
                for i in range(101)
            ],
            {"detail": "The form has more than 100 files.", "code": "too_many_files"},
        ),
    ],
    ids=["1001 fields", "a 3 MB text field", "101 files"],
)
def test_a_form_over_djangos_limits_is_refused_with_a_message(parts, body):
    result = call_wsgi(multipart([*parts, _IMAGE_PART]), content_type=MULTIPART_TYPE)

    assert result.status_code == 400
    assert result.json() == body
    assert OcrRecord.objects.count() == 0
