"""One stored recognition per distinct image, keyed by the MD5 of its bytes."""

import posixpath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from ocr_record.stored_images import STORED_IMAGE_DIR

MD5_HEX_LENGTH = 32
md5_validator = RegexValidator(
    regex=r"^[0-9a-f]{32}\Z",
    message="长度为 32 的小写字母、数字 (an MD5 as 32 lowercase hex characters).",
)


def validate_letters(value: object) -> None:
    """``content`` is a list of one-character strings."""
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or not all(
        isinstance(item, str) and len(item) == 1 for item in value
    ):
        raise ValidationError("识别结果必须是单个字符组成的列表 (a list of one-character strings).")


def image_upload_to(record: "OcrRecord", filename: str) -> str:
    """``ocr/ab/<md5>.<ext>``: stored images are named by the MD5 of their bytes."""
    extension = posixpath.splitext(filename)[1].lower()
    return f"{STORED_IMAGE_DIR}/{record.image_md5[:2]}/{record.image_md5}{extension}"


class OcrRecord(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    image_md5 = models.CharField(
        "图片的md5",
        max_length=MD5_HEX_LENGTH,
        unique=True,
        validators=[md5_validator],
        help_text="长度为 32 的小写字母、数字",
    )
    image_size = models.PositiveBigIntegerField("图片的大小", help_text="单位为 B", db_index=True)
    content = models.JSONField(
        "识别结果",
        default=list,
        blank=True,
        validators=[validate_letters],
        help_text="识别结果",
    )
    # The letters joined into one string, so that search can match a word ("Hello").
    content_text = models.TextField("识别结果文本", blank=True, default="", editable=False)

    # Review. None of these is part of the API's record.
    image = models.FileField(
        "image",
        upload_to=image_upload_to,
        blank=True,
        editable=False,
        help_text="The uploaded file, kept when OCR_STORE_IMAGES is on.",
    )
    engine_content = models.JSONField(
        "engine's letters",
        default=list,
        blank=True,
        editable=False,
        help_text="What the engine read, kept when a reviewer corrects the letters.",
    )
    confidence = models.FloatField(
        "engine confidence",
        null=True,
        blank=True,
        editable=False,
        db_index=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="The lowest per-letter confidence (0-100); empty when the engine "
        "gave none (no letters).",
    )
    reviewed_at = models.DateTimeField("reviewed at", null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="reviewed by",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="reviewed_ocr_records",
    )

    class Meta:
        verbose_name = "OCR 解析记录"
        verbose_name_plural = "OCR 解析记录"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The default order (-created_at, -id), walked backwards: the first page and
            # created_at ranges read 20 index entries instead of sorting the table.
            models.Index(fields=["created_at", "id"], name="ocr_record_created_id_idx"),
            # Search (icontains) uses trigram indexes on PostgreSQL, made in migration 0002.
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(image_md5__regex=r"^[0-9a-f]{32}$"),
                name="ocr_record_image_md5_is_lowercase_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.image_md5}: {''.join(self.content)}"

    def save(self, *args, **kwargs) -> None:
        self.content_text = "".join(self.content)
        super().save(*args, **kwargs)

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None

    @property
    def corrected(self) -> bool:
        """A reviewer changed the letters the engine read."""
        return self.reviewed and self.content != self.engine_content
