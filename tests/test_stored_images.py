"""Uploaded images are kept with their records; the API's records do not change."""

import hashlib
import json
import os
import subprocess
import sys

import pytest
from django.core.files.storage import default_storage, storages

from ocr_record import services
from ocr_record.models import OcrRecord
from tests.conftest import LIST_URL, draw_text, encode

pytestmark = pytest.mark.django_db


def test_an_upload_is_stored_under_its_md5_with_the_same_bytes(post_image, text_png, media_root):
    data = text_png("Hello")
    md5 = hashlib.md5(data).hexdigest()

    post_image(data, name="../../whatever name.png")

    record = OcrRecord.objects.get()
    assert record.image.name == f"ocr/{md5[:2]}/{md5}.png"
    assert (media_root / "ocr" / md5[:2] / f"{md5}.png").read_bytes() == data


@pytest.mark.parametrize(
    ("image_format", "extension"),
    [("JPEG", "jpg"), ("GIF", "gif"), ("BMP", "bmp"), ("WEBP", "webp"), ("TIFF", "tif")],
)
def test_the_stored_file_is_named_by_its_real_format_not_the_clients_name(
    post_image, image_format, extension
):
    data = encode(draw_text("Ab"), image_format)

    post_image(data, name="upload.png", content_type="image/png")

    assert OcrRecord.objects.get().image.name.endswith(f".{extension}")


def test_images_are_not_kept_when_the_setting_is_off(post_image, text_png, settings, media_root):
    settings.OCR_STORE_IMAGES = False

    response = post_image(text_png("Kp"))

    assert response.json() == {"content": ["K", "p"]}
    assert not OcrRecord.objects.get().image
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


def test_a_record_made_without_its_image_gets_it_on_the_next_upload(post_image, text_png, settings):
    data = text_png("W")
    settings.OCR_STORE_IMAGES = False
    post_image(data)
    settings.OCR_STORE_IMAGES = True

    post_image(data)

    record = OcrRecord.objects.get()
    with record.image.open("rb") as stored:
        assert stored.read() == data


def test_images_go_to_whatever_storage_backend_is_configured(post_image, text_png, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    data = text_png("Q")

    post_image(data)

    name = OcrRecord.objects.get().image.name
    assert type(storages["default"]).__name__ == "InMemoryStorage"
    with default_storage.open(name) as stored:
        assert stored.read() == data


def test_deleting_a_record_deletes_its_image(
    record_of, media_root, django_capture_on_commit_callbacks
):
    record, _ = record_of("Del")
    path = media_root / record.image.name
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        record.delete()

    assert not path.exists()


def test_the_engines_answer_and_its_lowest_confidence_are_kept(record_of):
    record, _ = record_of("Hello")

    assert record.engine_content == record.content == ["H", "e", "l", "l", "o"]
    assert 0 < record.confidence <= 100
    assert record.reviewed_at is None
    assert record.reviewed_by is None


def test_the_pytesseract_backend_also_gives_a_confidence(record_of, settings):
    """The engine's own classifier votes on every glyph, whichever Tesseract backend
    gives the second opinion, so the confidence is known with pytesseract too."""
    settings.OCR_ENGINE_BACKEND = "pytesseract"

    record, _ = record_of("Kp")

    assert record.content == ["K", "p"]
    assert 0 < record.confidence <= 100


def test_an_image_without_letters_has_no_confidence(post_image):
    post_image(encode(draw_text(" ", size=40)))

    assert OcrRecord.objects.get().confidence is None


def test_a_failed_insert_leaves_no_orphan_file(text_png, media_root, monkeypatch):
    data = text_png("Or")

    def fail(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(OcrRecord, "save", fail)
    with pytest.raises(RuntimeError):
        services.parse_letters(data=data)

    assert not any(media_root.rglob("*.png"))


def test_the_api_record_has_exactly_the_published_fields(post_image, text_png, api_client):
    post_image(text_png("Hi"))
    OcrRecord.objects.update(reviewed_at="2026-01-01T00:00:00Z", engine_content=["X"])

    record = api_client.get(LIST_URL).json()["results"][0]
    detail = api_client.get(f"{LIST_URL}{record['id']}/").json()

    assert set(record) == set(detail) == {"id", "created_at", "image_md5", "image_size", "content"}


def test_the_schema_components_are_unchanged(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]

    assert set(components["OcrRecordDisplaySer"]["properties"]) == {
        "id",
        "created_at",
        "image_md5",
        "image_size",
        "content",
    }
    assert set(components["OcrParseLetterResSer"]["properties"]) == {"content"}


@pytest.mark.parametrize("value", ["{bad", "[1, 2]"])
def test_bad_storage_options_stop_the_start_naming_the_variable(value):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ocr_project.settings_test",
        "OCR_MEDIA_STORAGE_OPTIONS": value,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "OCR_MEDIA_STORAGE_OPTIONS must be a JSON object" in result.stderr


def test_storage_options_reach_the_backend(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ocr_project.settings_test",
        "OCR_MEDIA_STORAGE_OPTIONS": json.dumps({"location": str(tmp_path / "elsewhere")}),
    }
    code = (
        "import django; django.setup()\n"
        "from django.core.files.storage import default_storage\n"
        "print(default_storage.location)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == str(tmp_path / "elsewhere")
