"""``manage.py recognise_folder``: a folder of images stored as the API would."""

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command

from ocr_record.models import OcrRecord
from tests.conftest import draw_text, encode

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("recognise_folder", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for text in ["Hello", "Kp", "W"]:
        (folder / f"{text}.png").write_bytes(encode(draw_text(text)))
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_each_image_becomes_a_record_as_the_api_makes_it(folder, post_image, media_root):
    out, err = run(folder, "--pattern", "*.png", "--show-letters")

    assert "3 file(s): 3 new record(s), 0 already known, 0 failed." in out
    assert f"{folder / 'Kp.png'}\tKp\n" in out
    assert "3/3" in err  # the progress bar's last state
    records = {"".join(r.content): r for r in OcrRecord.objects.all()}
    assert set(records) == {"Hello", "Kp", "W"}
    data = (folder / "Hello.png").read_bytes()
    hello = records["Hello"]
    assert hello.image_md5 == hashlib.md5(data).hexdigest()
    assert hello.image_size == len(data)
    assert hello.engine_content == hello.content
    assert hello.confidence is not None
    assert (media_root / hello.image.name).read_bytes() == data
    # The API answers the same image from the record the command made.
    assert post_image(data).json() == {"content": ["H", "e", "l", "l", "o"]}
    assert OcrRecord.objects.count() == 3


def test_known_images_keep_their_records(folder):
    run(folder, "--pattern", "*.png")
    OcrRecord.objects.update(content=["X"])

    out, _ = run(folder, "--pattern", "*.png")

    assert "3 file(s): 0 new record(s), 3 already known, 0 failed." in out
    assert list(OcrRecord.objects.values_list("content", flat=True)) == [["X"]] * 3


def test_files_that_are_not_images_are_reported_and_the_rest_stored(folder):
    with pytest.raises(CommandError, match="1 of 4 file"):
        run(folder)

    assert OcrRecord.objects.count() == 3


def test_files_over_the_upload_limit_are_refused(folder, settings):
    settings.OCR_MAX_UPLOAD_BYTES = 10

    with pytest.raises(CommandError, match="3 of 3 file"):
        run(folder, "--pattern", "*.png")

    assert OcrRecord.objects.count() == 0


def test_sub_folders_are_read_only_when_asked(folder):
    (folder / "more").mkdir()
    (folder / "more" / "Zq.png").write_bytes(encode(draw_text("Zq")))

    flat, _ = run(folder, "--pattern", "*.png")
    deep, _ = run(folder, "--pattern", "*.png", "--recursive")

    assert "3 file(s): 3 new" in flat
    assert "4 file(s): 1 new record(s), 3 already known" in deep


def test_a_missing_folder_or_no_matching_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        run(tmp_path / "nowhere")
    with pytest.raises(CommandError, match="No files match"):
        run(tmp_path, "--pattern", "*.png")
