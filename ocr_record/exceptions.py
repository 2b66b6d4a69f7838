"""Maps engine and upload errors to HTTP responses, in one place."""

from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from ocr_record.engine import (
    EngineError,
    EngineUnavailable,
    ImageTooLarge,
    InvalidImage,
    UnsupportedImageFormat,
)


class UploadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "upload_too_large"


# Most specific first: the first matching class decides.
ENGINE_ERROR_RESPONSES: list[tuple[type[EngineError], int, str]] = [
    (ImageTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "image_too_large"),
    (
        UnsupportedImageFormat,
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        "unsupported_image_format",
    ),
    (InvalidImage, status.HTTP_400_BAD_REQUEST, "invalid_image"),
    (EngineUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE, "ocr_unavailable"),
]


def api_exception_handler(exc, context):
    """DRF's handler, plus engine errors as ``{"detail": ..., "code": ...}``."""
    for error_class, status_code, code in ENGINE_ERROR_RESPONSES:
        if isinstance(exc, error_class):
            exc = exceptions.APIException(detail=str(exc), code=code)
            exc.status_code = status_code
            break
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else None
        if isinstance(detail, exceptions.ErrorDetail):
            response.data["code"] = detail.code
    return response
