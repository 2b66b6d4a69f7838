"""POST /api/ocr_record/parse_letter/: recognise, store, answer repeats from the record."""

import hashlib

import pytest

from ocr_record import services
from ocr_record.models import OcrRecord
from tests.conftest import SERIF, draw_text, encode

pytestmark = pytest.mark.django_db


def test_letters_in_a_drawn_image_are_returned_as_one_character_strings(post_image, text_png):
    response = post_image(text_png("Hello"))

    assert response.status_code == 200
    assert response.json() == {"content": ["H", "e", "l", "l", "o"]}


def test_a_new_image_is_stored_with_its_md5_size_and_letters(post_image, text_png):
    data = text_png("Kp", font_path=SERIF)

    response = post_image(data)

    record = OcrRecord.objects.get()
    assert record.image_md5 == hashlib.md5(data).hexdigest()
    assert record.image_size == len(data)
    assert record.content == response.json()["content"] == ["K", "p"]
    assert record.created_at is not None


def test_repeated_image_is_answered_from_the_stored_record_without_ocr(
    post_image, text_png, monkeypatch
):
    data = text_png("W")
    first = post_image(data)

    def no_ocr(*args, **kwargs):
        raise AssertionError("OCR ran for an image that has a record")

    monkeypatch.setattr(services, "recognise_letters", no_ocr)
    second = post_image(data)

    assert second.status_code == 200
    assert second.json() == first.json()
    assert OcrRecord.objects.count() == 1


def test_a_repeated_image_returns_the_stored_letters_even_if_they_were_changed(
    post_image, text_png
):
    data = text_png("A")
    post_image(data)
    OcrRecord.objects.update(content=["B"])

    assert post_image(data).json() == {"content": ["B"]}


def test_different_files_of_the_same_picture_are_different_records(post_image):
    picture = draw_text("Q")
    post_image(encode(picture, "PNG"))
    post_image(encode(picture, "BMP"), name="q.bmp", content_type="image/bmp")

    assert OcrRecord.objects.count() == 2
    assert sorted(OcrRecord.objects.values_list("image_size", flat=True)) == sorted(
        [len(encode(picture, "PNG")), len(encode(picture, "BMP"))]
    )


def test_an_image_without_letters_is_stored_with_an_empty_list(post_image):
    blank = encode(draw_text(" ", size=40))

    response = post_image(blank)

    assert response.status_code == 200
    assert response.json() == {"content": []}
    assert OcrRecord.objects.get().content == []


@pytest.mark.parametrize(
    ("image_format", "extra"),
    [
        ("PNG", {}),
        ("JPEG", {"quality": 90}),
        ("GIF", {}),
        ("BMP", {}),
        ("WEBP", {"lossless": True}),
        ("TIFF", {}),
    ],
)
def test_every_accepted_format_is_read(post_image, image_format, extra):
    data = encode(draw_text("Rx"), image_format, **extra)

    response = post_image(data, name=f"rx.{image_format.lower()}", content_type="")

    assert response.status_code == 200
    assert "".join(response.json()["content"]) in ("Rx", "RX")


def test_transparent_png_is_read_on_white(post_image):
    image = draw_text("T", mode="RGBA", background=(0, 0, 0, 0), colour=(0, 0, 0, 255))

    assert post_image(encode(image)).json() == {"content": ["T"]}


def test_concurrent_insert_of_the_same_image_ends_with_one_record(
    post_image, text_png, monkeypatch
):
    """The other request wins the insert while this one runs OCR: answer from its record."""
    data = text_png("M")
    real_recognise = services.recognise_letters

    def recognise_while_another_request_stores(image, **kwargs):
        OcrRecord.objects.create(
            image_md5=hashlib.md5(data).hexdigest(), image_size=len(data), content=["M"]
        )
        return real_recognise(image, **kwargs)

    monkeypatch.setattr(services, "recognise_letters", recognise_while_another_request_stores)
    response = post_image(data)

    assert response.status_code == 200
    assert response.json() == {"content": ["M"]}
    assert OcrRecord.objects.count() == 1
