"""The system check fails at start, with a message, when the engine cannot load."""

from django.core.management import call_command
from django.core.management.base import SystemCheckError

from ocr_record.checks import ocr_engine_loads


def test_check_passes_with_the_installed_engine():
    assert ocr_engine_loads() == []


def test_check_fails_with_an_unknown_backend(settings):
    settings.OCR_ENGINE_BACKEND = "no-such-engine"

    (error,) = ocr_engine_loads()

    assert error.id == "ocr_record.E001"
    assert "no-such-engine" in error.msg


def test_check_fails_when_the_language_data_is_missing(settings, tmp_path):
    settings.OCR_TESSDATA_DIR = str(tmp_path)

    (error,) = ocr_engine_loads()

    assert error.id == "ocr_record.E001"
    assert str(tmp_path) in error.msg


def test_manage_py_check_stops_on_a_broken_engine(settings, tmp_path):
    settings.OCR_TESSDATA_DIR = str(tmp_path)

    try:
        call_command("check")
    except SystemCheckError as exc:
        assert "The OCR engine cannot be loaded" in str(exc)
    else:
        raise AssertionError("manage.py check passed with no language data")
