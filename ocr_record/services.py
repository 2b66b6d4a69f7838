"""The one code path that turns an image into a stored record.

The API and the ``recognise_folder`` command call ``parse_letters``; the admin's
re-run calls ``recognise_record``, which ``parse_letters`` uses for a new image.
"""

import hashlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from ocr_record import stored_images
from ocr_record.deadline import recognise_letters
from ocr_record.engine import Recognition, load_image
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


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def engine_confidence(recognition: Recognition) -> float | None:
    """The lowest per-letter confidence, or None when the engine gave none.

    A letter whose confidence is unknown is reported as -1.
    """
    known = [c for c in recognition.confidences if c >= 0]
    if not known or len(known) != len(recognition.confidences):
        return None
    return float(min(100.0, min(known)))


def recognise_record(record: OcrRecord, data: bytes) -> OcrRecord:
    """Run the engine on ``data`` and put its answer on ``record`` (not saved).

    The engine's letters and confidence are always updated; the served letters
    (``content``) only while no reviewer has set them.
    """
    image = load_image(data, max_pixels=settings.OCR_MAX_IMAGE_PIXELS)
    recognition = recognise_letters(
        image,
        backend=settings.OCR_ENGINE_BACKEND,
        tessdata=settings.OCR_TESSDATA_DIR,
        timeout=settings.OCR_TIMEOUT_SECONDS,
    )
    record.engine_content = list(recognition.letters)
    record.confidence = engine_confidence(recognition)
    if not record.reviewed:
        record.content = list(recognition.letters)
    return record


def rerun_recognition(record: OcrRecord) -> OcrRecord:
    """Recognise a record's stored image again and save the engine's new answer.

    Raises ``StoredImageMissing`` when the record has no readable stored image.
    """
    data = read_stored_image(record)
    recognise_record(record, data)
    record.save(update_fields=["engine_content", "confidence", "content", "content_text"])
    return record


class StoredImageMissing(Exception):
    """The record has no stored image, or it cannot be read back."""


def read_stored_image(record: OcrRecord) -> bytes:
    """The stored image's bytes, checked against the record's MD5."""
    if not record.image:
        raise StoredImageMissing(f"Record {record.pk} has no stored image.")
    try:
        with record.image.open("rb") as stored:
            data = stored.read()
    except OSError as exc:
        raise StoredImageMissing(f"Record {record.pk}'s image cannot be read: {exc}") from exc
    if md5_hex(data) != record.image_md5:
        raise StoredImageMissing(f"Record {record.pk}'s stored image does not match its MD5.")
    return data


def _keep_image(record: OcrRecord, data: bytes) -> bool:
    """Store the image for ``record`` when the setting says so; True if written now."""
    if not settings.OCR_STORE_IMAGES:
        return False
    name, written = stored_images.store(default_storage, record.image_md5, data)
    record.image = name
    return written


def _attach_image(record: OcrRecord, name: str) -> None:
    """Give a stored record without an image this one, unless another request did."""
    OcrRecord.objects.filter(pk=record.pk, image="").update(image=name)
    record.refresh_from_db(fields=["image"])


def parse_letters(*, data: bytes, image_md5: str | None = None) -> OcrRecord:
    """Return the record for these image bytes, recognising them only if new.

    Two requests racing with the same new image both recognise it; the unique
    constraint lets one insert win and the other returns the winner's record.
    """
    if image_md5 is None:
        image_md5 = md5_hex(data)
    record = OcrRecord.objects.filter(image_md5=image_md5).first()
    if record is not None:
        if not record.image and settings.OCR_STORE_IMAGES:
            # Made while images were not kept: keep it now that we have it again.
            _keep_image(record, data)
            _attach_image(record, record.image.name)
        return record

    record = OcrRecord(image_md5=image_md5, image_size=len(data))
    recognise_record(record, data)
    written = _keep_image(record, data)
    try:
        with transaction.atomic():
            record.save(force_insert=True)
            return record
    except IntegrityError:
        logger.info("Image %s was stored by a concurrent request", image_md5)
        winner = OcrRecord.objects.get(image_md5=image_md5)
        if record.image and not winner.image:
            _attach_image(winner, record.image.name)
        elif written and record.image.name != winner.image.name:
            default_storage.delete(record.image.name)
        return winner
    except BaseException:
        if written:
            default_storage.delete(record.image.name)
        raise
