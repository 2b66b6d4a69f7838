"""The OCR record API: list, detail and the upload that recognises letters."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from ocr_record.filters import OcrRecordFilter
from ocr_record.models import OcrRecord
from ocr_record.pagination import ShortTermSearchFilter
from ocr_record.parsers import ImageUploadParser
from ocr_record.security import ParseLetterThrottle
from ocr_record.serializers import (
    OcrParseLetterReqSer,
    OcrParseLetterResSer,
    OcrRecordDisplaySer,
)
from ocr_record.services import parse_letters, read_upload

# The published contract types every list parameter as an optional string.
LIST_PARAMETERS = [
    OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.QUERY, description=description)
    for name, description in [
        ("id", None),
        ("image_md5", None),
        ("image_size__lte", None),
        ("image_size__gte", None),
        ("created_at__lte", None),
        ("created_at__gte", None),
        ("search", "A search term."),
        ("ordering", "Which field to use when ordering the results."),
        ("page", "A page number within the paginated result set."),
        ("page_size", "Number of results to return per page."),
    ]
]

UPLOAD_REQUEST_SCHEMA = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"image": {"type": "string", "format": "binary"}},
        "required": ["image"],
    }
}


@extend_schema_view(
    list=extend_schema(
        summary="Ocr 解析记录-列表",
        parameters=LIST_PARAMETERS,
        responses={200: OpenApiResponse(OcrRecordDisplaySer(many=True), description="成功")},
    ),
    retrieve=extend_schema(
        summary="Ocr 解析记录-单个",
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: OpenApiResponse(OcrRecordDisplaySer, description="成功")},
    ),
)
class OcrRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """OCR records: one per distinct image (by the MD5 of its bytes), read-only over the API.

    Filter by id, MD5, size and creation time; search the MD5 and the letters;
    order by id, created_at or image_size (prefix ``-`` for descending).
    """

    queryset = OcrRecord.objects.all()
    serializer_class = OcrRecordDisplaySer
    filter_backends = [DjangoFilterBackend, ShortTermSearchFilter, OrderingFilter]
    filterset_class = OcrRecordFilter
    search_fields = ["image_md5", "content_text"]
    ordering_fields = ["id", "created_at", "image_size"]
    ordering = ["-created_at", "-id"]

    @extend_schema(
        summary="解析图片中的字母",
        description="Upload one image (PNG, JPEG, GIF, BMP, WebP or TIFF) in the field "
        "`image`; the response lists the letters it shows. An image seen before is "
        "answered from its stored record.",
        request=UPLOAD_REQUEST_SCHEMA,
        responses={200: OpenApiResponse(OcrParseLetterResSer, description="成功")},
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[ImageUploadParser],
        throttle_classes=[ParseLetterThrottle],
        filter_backends=[],
        pagination_class=None,
    )
    def parse_letter(self, request: Request) -> Response:
        upload_serializer = OcrParseLetterReqSer(data=request.data)
        upload_serializer.is_valid(raise_exception=True)
        if len(request.FILES.getlist("image")) > 1:
            raise ValidationError({"image": ["Send exactly one file in the field 'image'."]})
        upload = upload_serializer.validated_data["image"]
        # ImageUploadParser has already refused anything over OCR_MAX_UPLOAD_BYTES.
        data, image_md5 = read_upload(upload.chunks())
        record = parse_letters(data=data, image_md5=image_md5)
        return Response(OcrParseLetterResSer({"content": record.content}).data)
