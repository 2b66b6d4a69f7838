"""The Django admin: list, search, filters, read-only fields, review, image, actions."""

import datetime
import hashlib
import io
import re
import zipfile

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from PIL import Image

from ocr_record import dataset
from ocr_record.models import OcrRecord
from tests.conftest import draw_text, encode

pytestmark = pytest.mark.django_db

LIST = "/admin/ocr_record/ocrrecord/"


def change_url(record: OcrRecord) -> str:
    return f"{LIST}{record.pk}/change/"


def image_url(record: OcrRecord) -> str:
    return f"{LIST}{record.pk}/image/"


def listed_ids(response) -> list[int]:
    return [record.pk for record in response.context["cl"].result_list]


# --- list ------------------------------------------------------------------------------


def test_the_list_shows_id_created_time_md5_size_letters_and_a_thumbnail(admin_client, record_of):
    record, data = record_of("Hello")

    response = admin_client.get(LIST)

    assert response.status_code == 200
    page = response.content.decode()
    headers = re.findall(r'<div class="text">(?:<a [^>]*>|<span>)([^<]+)<', page)
    assert headers[:6] == ["ID", "Image", "识别结果", "创建时间", "图片的md5", "图片的大小"]
    assert record.image_md5 in page
    assert f">{len(data)}<" in page
    assert "H e l l o" in page
    assert f'<img class="ocr-thumb" src="{image_url(record)}"' in page


def test_the_list_escapes_what_it_shows(admin_client, record_of):
    record, _ = record_of("A")
    OcrRecord.objects.filter(pk=record.pk).update(content=["<img src=x onerror=alert(1)>"])

    page = admin_client.get(LIST).content.decode()

    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page


def test_search_finds_records_by_md5_and_by_letters(admin_client, record_of):
    hello, _ = record_of("Hello")
    kp, _ = record_of("Kp")

    by_md5 = admin_client.get(LIST, {"q": kp.image_md5})
    by_letters = admin_client.get(LIST, {"q": "Hello"})

    assert listed_ids(by_md5) == [kp.pk]
    assert listed_ids(by_letters) == [hello.pk]


def test_the_date_filter_keeps_records_of_the_chosen_dates(admin_client, record_of):
    today, _ = record_of("New")
    old, _ = record_of("Old")
    OcrRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=60)
    )
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)

    response = admin_client.get(
        LIST,
        {
            "created_at__gte": str(start),
            "created_at__lt": str(start + datetime.timedelta(days=1)),
        },
    )

    assert listed_ids(response) == [today.pk]


def test_the_reviewed_filter(admin_client, record_of, admin_user):
    reviewed, _ = record_of("Yes")
    waiting, _ = record_of("No")
    OcrRecord.objects.filter(pk=reviewed.pk).update(
        reviewed_at=timezone.now(), reviewed_by=admin_user
    )

    assert listed_ids(admin_client.get(LIST, {"reviewed": "yes"})) == [reviewed.pk]
    assert listed_ids(admin_client.get(LIST, {"reviewed": "no"})) == [waiting.pk]


def test_the_confidence_filter_lists_a_band_with_the_lowest_first(admin_client, record_of):
    records = [record_of(text)[0] for text in ["Ab", "Cd", "Ef", "Gh"]]
    for record, confidence in zip(records, [45.0, 12.5, 90.0, None], strict=True):
        OcrRecord.objects.filter(pk=record.pk).update(confidence=confidence)

    low = admin_client.get(LIST, {"confidence": "low"})
    high = admin_client.get(LIST, {"confidence": "high"})
    unknown = admin_client.get(LIST, {"confidence": "unknown"})

    assert listed_ids(low) == [records[1].pk, records[0].pk]
    assert listed_ids(high) == [records[2].pk]
    assert listed_ids(unknown) == [records[3].pk]
    page = admin_client.get(LIST).content.decode()
    assert page.index("below 50") < page.index("50 to 80") < page.index("80 and above")


def test_records_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(f"{LIST}add/").status_code == 403


# --- detail and review -----------------------------------------------------------------


def test_the_detail_page_shows_the_image_large_and_md5_size_time_read_only(admin_client, record_of):
    record, _ = record_of("Hello")

    response = admin_client.get(change_url(record))

    page = response.content.decode()
    assert f'<img class="ocr-large" src="{image_url(record)}"' in page
    form = response.context["adminform"].form
    assert list(form.fields) == ["letters"]
    assert form["letters"].value() == "Hello"
    for name in ["image_md5", "image_size", "created_at"]:
        assert f'name="{name}"' not in page
    assert record.image_md5 in page


def test_saving_a_correction_marks_the_record_reviewed_and_keeps_the_engines_answer(
    admin_client, admin_user, record_of
):
    record, data = record_of("Hello")
    before = timezone.now()

    response = admin_client.post(
        change_url(record),
        {"letters": "HeIIo", "image_md5": "0" * 32, "image_size": "1"},
    )

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.content == ["H", "e", "I", "I", "o"]
    assert record.content_text == "HeIIo"
    assert record.engine_content == ["H", "e", "l", "l", "o"]
    assert record.reviewed_by == admin_user
    assert record.reviewed_at >= before
    assert record.image_md5 == hashlib.md5(data).hexdigest()
    assert record.image_size == len(data)


def test_letters_may_be_typed_with_spaces_and_may_be_empty(admin_client, record_of):
    spaced, _ = record_of("Ab")
    empty, _ = record_of("Cd")

    admin_client.post(change_url(spaced), {"letters": " X  y z "})
    admin_client.post(change_url(empty), {"letters": ""})

    spaced.refresh_from_db()
    empty.refresh_from_db()
    assert spaced.content == ["X", "y", "z"]
    assert empty.content == []
    assert empty.reviewed_at is not None


@pytest.mark.parametrize("letters", ["He1lo", "Hé", "A-B", "日本"])
def test_anything_but_letters_is_refused_and_nothing_is_saved(admin_client, record_of, letters):
    record, _ = record_of("Hello")

    response = admin_client.post(change_url(record), {"letters": letters})

    assert response.status_code == 200
    assert "Only the letters A-Z and a-z are allowed" in response.content.decode()
    record.refresh_from_db()
    assert record.content == ["H", "e", "l", "l", "o"]
    assert record.reviewed_at is None


def test_after_a_correction_the_same_image_is_answered_with_the_corrected_letters(
    admin_client, record_of, post_image
):
    record, data = record_of("Hello")
    admin_client.post(change_url(record), {"letters": "Hallo"})

    response = post_image(data)

    assert response.json() == {"content": ["H", "a", "l", "l", "o"]}
    assert OcrRecord.objects.count() == 1


# --- the stored image ------------------------------------------------------------------


def test_the_image_view_returns_the_stored_bytes(admin_client, record_of):
    record, data = record_of("Hello")

    response = admin_client.get(image_url(record))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == data


def test_a_tiff_is_shown_as_png(admin_client, post_image):
    data = encode(draw_text("Tf"), "TIFF")
    post_image(data, name="t.tif", content_type="image/tiff")
    record = OcrRecord.objects.get()

    response = admin_client.get(image_url(record))

    assert response["Content-Type"] == "image/png"
    shown = Image.open(io.BytesIO(response.content))
    assert shown.format == "PNG"
    assert shown.size == Image.open(io.BytesIO(data)).size


def test_the_image_is_not_public(client, record_of):
    record, _ = record_of("Hello")

    response = client.get(image_url(record))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_without_permission_to_view_records_cannot_see_images(client, record_of):
    record, _ = record_of("Hello")
    clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)

    assert client.get(image_url(record)).status_code == 403

    clerk.user_permissions.add(Permission.objects.get(codename="view_ocrrecord"))
    assert client.get(image_url(record)).status_code == 200


def test_a_record_without_an_image_shows_none(admin_client, record_of, settings):
    settings.OCR_STORE_IMAGES = False
    record, _ = record_of("Hello")

    assert admin_client.get(image_url(record)).status_code == 404
    assert "No image is stored" in admin_client.get(change_url(record)).content.decode()


def test_a_stored_image_that_does_not_match_its_md5_is_not_served(
    admin_client, record_of, media_root
):
    record, _ = record_of("Hello")
    (media_root / record.image.name).write_bytes(encode(draw_text("Evil")))

    assert admin_client.get(image_url(record)).status_code == 404


# --- actions ---------------------------------------------------------------------------


def run_action(admin_client, action: str, records: list[OcrRecord]):
    return admin_client.post(
        LIST,
        {"action": action, "_selected_action": [record.pk for record in records]},
        follow=action != "export_dataset",
    )


def test_rerun_recognises_the_stored_images_again(admin_client, admin_user, record_of):
    waiting, _ = record_of("Hello")
    reviewed, _ = record_of("Kp")
    OcrRecord.objects.filter(pk=waiting.pk).update(
        content=["X"], engine_content=["X"], confidence=1.0
    )
    OcrRecord.objects.filter(pk=reviewed.pk).update(
        content=["K", "P"], engine_content=["X"], reviewed_at=timezone.now()
    )

    response = run_action(admin_client, "rerun_recognition", [waiting, reviewed])

    assert "Recognised 2 record(s) again" in response.content.decode()
    waiting.refresh_from_db()
    reviewed.refresh_from_db()
    assert waiting.content == waiting.engine_content == ["H", "e", "l", "l", "o"]
    assert waiting.content_text == "Hello"
    assert waiting.confidence > 1.0
    assert reviewed.engine_content == ["K", "p"]
    assert reviewed.content == ["K", "P"]  # the reviewer's letters stay


def test_rerun_skips_records_without_an_image(admin_client, record_of, settings):
    settings.OCR_STORE_IMAGES = False
    record, _ = record_of("Hello")
    OcrRecord.objects.filter(pk=record.pk).update(content=["X"])

    response = run_action(admin_client, "rerun_recognition", [record])

    assert "Skipped 1 record(s) without a stored image" in response.content.decode()
    record.refresh_from_db()
    assert record.content == ["X"]


def test_export_writes_the_reviewed_records_as_a_dataset_the_reader_reads(
    admin_client, record_of, tmp_path
):
    corrected, corrected_data = record_of("Hello")
    confirmed, confirmed_data = record_of("Kp")
    waiting, _ = record_of("Zz")
    admin_client.post(change_url(corrected), {"letters": "HeIIo"})
    admin_client.post(change_url(confirmed), {"letters": "Kp"})

    response = run_action(admin_client, "export_dataset", [corrected, confirmed, waiting])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="ocr-dataset-')
    path = tmp_path / "export.zip"
    path.write_bytes(b"".join(response.streaming_content))
    items = {"".join(item.letters): item for item in dataset.read_dataset(path)}
    assert set(items) == {"HeIIo", "Kp"}
    assert items["HeIIo"].data == corrected_data
    assert items["HeIIo"].name == f"images/{corrected.image_md5}.png"
    assert items["Kp"].data == confirmed_data
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["labels.tsv", f"images/{corrected.image_md5}.png", f"images/{confirmed.image_md5}.png"]
        )


def test_export_of_unreviewed_records_says_there_is_nothing(admin_client, record_of):
    record, _ = record_of("Hello")

    response = admin_client.post(
        LIST, {"action": "export_dataset", "_selected_action": [record.pk]}, follow=True
    )

    assert "nothing to export" in response.content.decode()
