from django.contrib import admin

from ocr_record.models import OcrRecord


@admin.register(OcrRecord)
class OcrRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "image_md5", "image_size", "letters"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    search_fields = ["image_md5", "content_text"]
    readonly_fields = ["id", "created_at", "image_md5", "image_size"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]

    @admin.display(description="识别结果")
    def letters(self, record: OcrRecord) -> str:
        return " ".join(record.content)
