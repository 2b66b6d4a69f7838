from django.apps import AppConfig


class OcrRecordConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ocr_record"
    verbose_name = "OCR 解析记录"

    def ready(self) -> None:
        from ocr_record import checks, signals  # noqa: F401 - registers checks and signals
