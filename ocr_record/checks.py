"""System checks: fail at start, not on the first request, when OCR cannot work."""

from django.conf import settings
from django.core.checks import Error, register

from ocr_record.engine import EngineUnavailable, check_engine


@register()
def ocr_engine_loads(app_configs=None, **kwargs) -> list[Error]:
    try:
        check_engine(settings.OCR_ENGINE_BACKEND, tessdata=settings.OCR_TESSDATA_DIR)
    except EngineUnavailable as exc:
        return [
            Error(
                f"The OCR engine cannot be loaded: {exc}",
                hint="Install tesseract-ocr and tesseract-ocr-eng, or set OCR_TESSDATA_DIR "
                "and OCR_ENGINE_BACKEND (tesserocr or pytesseract).",
                id="ocr_record.E001",
            )
        ]
    return []
