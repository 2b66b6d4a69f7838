"""Serializers. Their class names and fields are the published contract."""

from rest_framework import serializers

from ocr_record.models import OcrRecord


class OcrRecordDisplaySer(serializers.ModelSerializer):
    # A stored recognition, as the list and detail endpoints show it. (A comment, not a
    # docstring: the docstring would become a schema description the contract lacks.)

    id = serializers.IntegerField(read_only=True, label="Id")
    created_at = serializers.DateTimeField(read_only=True, label="创建时间")
    image_md5 = serializers.CharField(
        label="图片的md5",
        help_text="长度为 32 的小写字母、数字",
        min_length=1,
        max_length=32,
    )
    image_size = serializers.IntegerField(label="图片的大小", help_text="单位为 B")
    content = serializers.ListField(child=serializers.CharField(min_length=1), help_text="识别结果")

    class Meta:
        model = OcrRecord
        fields = ["id", "created_at", "image_md5", "image_size", "content"]


class OcrParseLetterResSer(serializers.Serializer):
    # The letters read from an uploaded image.

    content = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=1, help_text="字母"),
        help_text="解析图片得到的字母列表",
    )


class OcrParseLetterReqSer(serializers.Serializer):
    # The upload: one image file in the multipart field ``image``.

    image = serializers.FileField(allow_empty_file=False)
