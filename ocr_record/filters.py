"""Query filters for the record list (the contract's query parameters)."""

import django_filters

from ocr_record.models import OcrRecord


class OcrRecordFilter(django_filters.FilterSet):
    class Meta:
        model = OcrRecord
        fields = {
            "id": ["exact"],
            "image_md5": ["exact"],
            "image_size": ["lte", "gte"],
            "created_at": ["lte", "gte"],
        }
