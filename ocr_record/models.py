"""One stored recognition per distinct image, keyed by the MD5 of its bytes."""

from django.core.validators import RegexValidator
from django.db import models

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
