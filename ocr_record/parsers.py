"""A multipart parser that refuses oversized uploads before reading them whole."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from rest_framework.exceptions import ParseError
from rest_framework.parsers import MultiPartParser

from ocr_record.exceptions import UploadTooLarge

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def _too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(f"The upload is larger than the limit of {limit} bytes.")


class UploadSizeLimitHandler(FileUploadHandler):
    """Stops the upload as soon as the declared or received size passes the limit."""

    def __init__(self, request=None, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.max_bytes + MULTIPART_OVERHEAD_BYTES:
            raise _too_large(self.max_bytes)

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.incomplete = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            raise _too_large(self.max_bytes)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        self.incomplete = False
        return None

    def upload_complete(self) -> None:
        # Django drops a file part cut off by the end of the body; say so instead.
        if getattr(self, "incomplete", False):
            raise ParseError(
                "The upload ended before the file was complete; the body is shorter "
                "than its declared length or was cut off."
            )


class ImageUploadParser(MultiPartParser):
    """multipart/form-data with the configured byte limit on each file."""

    def parse(self, stream, media_type=None, parser_context=None):
        django_request = parser_context["request"]._request
        limit = settings.OCR_MAX_UPLOAD_BYTES
        django_request.upload_handlers = [
            UploadSizeLimitHandler(django_request, max_bytes=limit),
            *django_request.upload_handlers,
        ]
        return super().parse(stream, media_type, parser_context)
