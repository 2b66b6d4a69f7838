"""Stored images go with their records."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from ocr_record.models import OcrRecord


@receiver(post_delete, sender=OcrRecord, dispatch_uid="ocr_record_delete_stored_image")
def delete_stored_image(sender, instance: OcrRecord, **kwargs) -> None:
    """Remove a deleted record's image file once the deletion is committed."""
    if instance.image:
        storage, name = instance.image.storage, instance.image.name
        transaction.on_commit(lambda: storage.delete(name))
