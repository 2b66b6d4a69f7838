"""The one code path that turns an uploaded image into a stored record.

The API, the admin and management commands all call ``parse_letters``.
"""

import hashlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction

from ocr_record.deadline import recognise_letters
from ocr_record.engine import load_image
from ocr_record.models import OcrRecord

logger = logging.getLogger(__name__)


def read_upload(chunks: Iterable[bytes]) -> tuple[bytes, str]:
    """The upload's bytes and their MD5 (lowercase hex), read chunk by chunk."""
    digest = hashlib.md5(usedforsecurity=False)
    parts = []
    for chunk in chunks:
        digest.update(chunk)
        parts.append(chunk)
    return b"".join(parts), digest.hexdigest()


def parse_letters(*, data: bytes, image_md5: str | None = None) -> OcrRecord:
    """Return the record for these image bytes, recognising them only if new.

    Two requests racing with the same new image both recognise it; the unique
    constraint lets one insert win and the other returns the winner's record.
    """
    if image_md5 is None:
        image_md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    record = OcrRecord.objects.filter(image_md5=image_md5).first()
    if record is not None:
        return record

    image = load_image(data, max_pixels=settings.OCR_MAX_IMAGE_PIXELS)
    recognition = recognise_letters(
        image,
        backend=settings.OCR_ENGINE_BACKEND,
        tessdata=settings.OCR_TESSDATA_DIR,
        timeout=settings.OCR_TIMEOUT_SECONDS,
    )
    try:
        with transaction.atomic():
            return OcrRecord.objects.create(
                image_md5=image_md5, image_size=len(data), content=recognition.letters
            )
    except IntegrityError:
        logger.info("Image %s was stored by a concurrent request", image_md5)
        return OcrRecord.objects.get(image_md5=image_md5)
