"""Bad input to parse_letter: a 4xx JSON answer a person understands, and nothing stored.

Also: records cannot be written over the API, and a missing secret key stops the start.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from ocr_record.models import OcrRecord
from tests.conftest import (
    LIST_URL,
    MULTIPART_TYPE,
    PARSE_LETTER_URL,
    call_wsgi,
    draw_text,
    encode,
    multipart,
)

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parent.parent
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
NOT_AN_IMAGE = (
    "The file is not an image that can be read. Send one of: PNG, JPEG, GIF, BMP, WEBP, TIFF."
)


def assert_refused(response, status: int, message: str, *, field: str | None = None) -> None:
    """The status, a JSON body with the message, and no record."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    if field is None:
        assert body["detail"] == message
        assert isinstance(body["code"], str) and body["code"]
    else:
        assert body == {field: [message]}
    assert OcrRecord.objects.count() == 0


def test_no_image_field(api_client):
    response = api_client.post(PARSE_LETTER_URL, {"picture": "x"}, format="multipart")

    assert_refused(response, 400, "No file was submitted.", field="image")


def test_a_multipart_body_with_no_parts_at_all(api_client):
    response = api_client.post(PARSE_LETTER_URL, {}, format="multipart")

    assert_refused(response, 400, "No file was submitted.", field="image")


def test_a_json_body(api_client):
    response = api_client.post(PARSE_LETTER_URL, {"image": "aGVsbG8="}, format="json")

    assert_refused(response, 415, 'Unsupported media type "application/json" in request.')
    assert response.json()["code"] == "unsupported_media_type"


def test_an_urlencoded_body(api_client):
    response = api_client.post(
        PARSE_LETTER_URL, "image=hello", content_type="application/x-www-form-urlencoded"
    )

    assert_refused(
        response, 415, 'Unsupported media type "application/x-www-form-urlencoded" in request.'
    )


def test_an_image_sent_as_the_raw_body(api_client):
    data = encode(draw_text("A"))

    response = api_client.post(PARSE_LETTER_URL, data, content_type="image/png")

    assert_refused(response, 415, 'Unsupported media type "image/png" in request.')


def test_an_empty_file(post_image):
    assert_refused(post_image(b""), 400, "The submitted file is empty.", field="image")


def test_the_image_field_sent_as_text_not_a_file(api_client):
    response = api_client.post(PARSE_LETTER_URL, {"image": "hello"}, format="multipart")

    assert_refused(
        response,
        400,
        "The submitted data was not a file. Check the encoding type on the form.",
        field="image",
    )


def test_a_text_file(post_image):
    response = post_image(
        b"Hello, this is not a picture.\n", name="a.txt", content_type="text/plain"
    )

    assert_refused(response, 400, NOT_AN_IMAGE)
    assert response.json()["code"] == "invalid_image"


def test_a_pdf_file(post_image):
    response = post_image(TINY_PDF, name="letter.pdf", content_type="application/pdf")

    assert_refused(response, 400, NOT_AN_IMAGE)


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_a_truncated_image(post_image, image_format):
    data = encode(draw_text("Truncated", size=48), image_format)
    cut = data[: len(data) // 2]

    response = post_image(cut, name=f"cut.{image_format.lower()}")

    assert response.status_code == 400, response.content
    assert response.json()["detail"] in (
        NOT_AN_IMAGE,
        "The image is truncated or corrupt and cannot be read.",
    )
    assert response.json()["code"] == "invalid_image"
    assert OcrRecord.objects.count() == 0


def test_a_corrupt_png_with_a_valid_header(post_image):
    data = bytearray(encode(draw_text("Corrupt")))
    data[60:120] = b"\xff" * 60  # inside the compressed pixel data

    response = post_image(bytes(data))

    assert_refused(response, 400, "The image is truncated or corrupt and cannot be read.")


@pytest.mark.parametrize(
    ("image_format", "name"),
    [("ICO", "ICO"), ("PCX", "PCX"), ("PPM", "PPM"), ("TGA", "TGA"), ("SGI", "SGI")],
)
def test_a_format_outside_the_accepted_ones(post_image, image_format, name):
    data = encode(draw_text("F"), image_format)

    response = post_image(data, name=f"f.{image_format.lower()}", content_type="")

    assert_refused(
        response,
        415,
        f"Image format {name} is not supported. Send one of: PNG, JPEG, GIF, BMP, WEBP, TIFF.",
    )
    assert response.json()["code"] == "unsupported_image_format"


@override_settings(OCR_MAX_IMAGE_PIXELS=10_000)
def test_an_image_over_the_pixel_limit(post_image):
    data = encode(draw_text("Big", size=200))

    response = post_image(data)

    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"
    assert response.json()["detail"].startswith("The image has too many pixels (")
    assert response.json()["detail"].endswith("; the limit is 10000 pixels.")
    assert OcrRecord.objects.count() == 0


def test_a_decompression_bomb_png_declaring_a_huge_size(post_image, bomb_png):
    response = post_image(bomb_png(100_000, 100_000))

    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"
    assert "too many pixels" in response.json()["detail"]
    assert f"the limit is {settings.OCR_MAX_IMAGE_PIXELS} pixels" in response.json()["detail"]
    assert OcrRecord.objects.count() == 0


def test_the_upload_limit_defaults_to_10_mb():
    assert settings.OCR_MAX_UPLOAD_BYTES == 10 * 1024 * 1024


def test_an_upload_over_the_default_byte_limit(post_image):
    data = encode(draw_text("A")) + b"\0" * (10 * 1024 * 1024)

    assert_refused(post_image(data), 413, "The upload is larger than the limit of 10485760 bytes.")


@override_settings(OCR_MAX_UPLOAD_BYTES=2_000)
def test_the_byte_limit_is_configurable(post_image):
    small = encode(draw_text("A", size=16))
    assert len(small) < 2_000
    big = encode(draw_text("A", size=16)) + b"\0" * 2_000

    assert_refused(post_image(big), 413, "The upload is larger than the limit of 2000 bytes.")
    assert post_image(small).status_code == 200
    assert OcrRecord.objects.count() == 1


def test_a_body_over_the_limit_is_refused_before_it_is_read():
    body = multipart(
        [
            (
                b'Content-Disposition: form-data; name="image"; filename="big.png"\r\n'
                b"Content-Type: image/png",
                b"\0" * (11 * 1024 * 1024),
            )
        ]
    )

    result = call_wsgi(body, content_type=MULTIPART_TYPE)

    assert result.status_code == 413
    assert result.json()["detail"] == "The upload is larger than the limit of 10485760 bytes."
    assert result.bytes_read == 0
    assert OcrRecord.objects.count() == 0


@override_settings(OCR_TESSDATA_DIR="/nonexistent/tessdata/")
def test_tesseract_that_cannot_be_run_answers_503(post_image, text_png):
    response = post_image(text_png("A"))

    assert response.status_code == 503
    assert response.json()["code"] == "ocr_unavailable"
    assert response.json()["detail"].startswith("The OCR engine is unavailable; try again later.")
    assert OcrRecord.objects.count() == 0


# --- Records are read-only over the API ------------------------------------------


@pytest.fixture
def record():
    return OcrRecord.objects.create(image_md5="0" * 32, image_size=10, content=["A"])


def _snapshot():
    return list(OcrRecord.objects.order_by("id").values())


def test_post_to_the_list_is_not_allowed(api_client, record):
    before = _snapshot()
    body = {"image_md5": "1" * 32, "image_size": 1, "content": ["B"]}

    response = api_client.post(LIST_URL, body, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.', "code": "method_not_allowed"}
    assert _snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writing_a_record_is_not_allowed(api_client, record, method):
    before = _snapshot()
    body = {"image_md5": "1" * 32, "image_size": 1, "content": ["B"]}

    response = getattr(api_client, method)(f"{LIST_URL}{record.id}/", body, format="json")

    assert response.status_code == 405
    assert response.json() == {
        "detail": f'Method "{method.upper()}" not allowed.',
        "code": "method_not_allowed",
    }
    assert _snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writing_the_list_is_not_allowed(api_client, record, method):
    before = _snapshot()

    response = getattr(api_client, method)(LIST_URL, {}, format="json")

    assert response.status_code == 405
    assert _snapshot() == before


# --- Start-up ---------------------------------------------------------------------


def test_a_missing_secret_key_with_debug_off_stops_the_start():
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    result = subprocess.run(
        [sys.executable, "-c", "import ocr_project.settings"],
        cwd=REPO,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set." in result.stderr


def test_the_same_start_with_a_secret_key_succeeds():
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SECRET_KEY": "x" * 50}

    result = subprocess.run(
        [sys.executable, "-c", "import ocr_project.settings as s; print(s.DEBUG)"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_error_bodies_are_json_even_for_unknown_paths(api_client):
    response = api_client.get("/api/ocr_record/nope/")

    assert response.status_code == 404
    assert json.loads(response.content)["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (
            "search=%00",
            {"detail": "Null characters are not allowed.", "code": "null_characters_not_allowed"},
        ),
        ("id=%00", {"id": ["Enter a number."]}),
        ("created_at__gte=%00", {"created_at__gte": ["Enter a valid date/time."]}),
        ("page=%00", {"detail": "Invalid page.", "code": "not_found"}),
    ],
)
def test_bad_list_parameters_answer_4xx_json(api_client, query, body):
    response = api_client.get(f"{LIST_URL}?{query}")

    assert 400 <= response.status_code < 500
    assert response.json() == body
