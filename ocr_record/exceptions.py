"""Maps engine, upload and infrastructure errors to HTTP responses, in one place.

Every error body is ``{"detail": ..., "code": ...}`` (or DRF's field-error dict). The
details of an outage (paths, driver messages) are logged, never sent to the client.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from ocr_record.engine import (
    EngineError,
    EngineUnavailable,
    ImageTooLarge,
    InvalidImage,
    RecognitionTimeout,
    UnsupportedImageFormat,
)

logger = logging.getLogger(__name__)


class UploadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "upload_too_large"


ENGINE_UNAVAILABLE_MESSAGE = "The OCR engine is unavailable; try again later."
DATABASE_UNAVAILABLE_MESSAGE = "The database is unavailable; try again later."
# Seconds a client should wait before retrying a 503.
RETRY_AFTER_SECONDS = 30

# Most specific first: the first matching class decides. ``None`` as the message means
# the exception's own text, which the engine writes for the client.
ERROR_RESPONSES: list[tuple[type[Exception], int, str, str | None]] = [
    (ImageTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "image_too_large", None),
    (
        UnsupportedImageFormat,
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        "unsupported_image_format",
        None,
    ),
    (InvalidImage, status.HTTP_400_BAD_REQUEST, "invalid_image", None),
    (RecognitionTimeout, status.HTTP_503_SERVICE_UNAVAILABLE, "ocr_timeout", None),
    (
        EngineUnavailable,
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "ocr_unavailable",
        ENGINE_UNAVAILABLE_MESSAGE,
    ),
    (
        EngineError,
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "ocr_unavailable",
        ENGINE_UNAVAILABLE_MESSAGE,
    ),
    (
        OperationalError,
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "database_unavailable",
        DATABASE_UNAVAILABLE_MESSAGE,
    ),
    (
        InterfaceError,
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "database_unavailable",
        DATABASE_UNAVAILABLE_MESSAGE,
    ),
]


def _as_api_exception(exc: Exception) -> Exception:
    for error_class, status_code, code, public_message in ERROR_RESPONSES:
        if isinstance(exc, error_class):
            if public_message is not None:
                logger.error("%s: %s", code, exc, exc_info=exc)
            api_exc = exceptions.APIException(detail=public_message or str(exc), code=code)
            api_exc.status_code = status_code
            return api_exc
    return exc


def api_exception_handler(exc, context):
    """DRF's handler, plus engine and database errors as ``{"detail": ..., "code": ...}``."""
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, list):
        # A ValidationError not tied to a field (the search filter refusing a NUL
        # character): one message like every other error.
        messages = [str(message) for message in response.data]
        code = getattr(response.data[0], "code", "invalid") if response.data else "invalid"
        response.data = {"detail": " ".join(messages) or "Invalid input.", "code": code}
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        if isinstance(detail, exceptions.ErrorDetail):
            response.data["code"] = detail.code
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _json_for_api(request, status_code: int, detail: str, code: str, page_view, *args):
    """Errors Django answers outside the views (no route, bad host, a crash) as our JSON
    under /api/, and as Django's plain pages elsewhere (admin). Never a stack trace."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "code": code}, status=status_code)
    return page_view(request, *args)


def _bad_request_message(exception) -> tuple[str, str]:
    """Django's own refusals of a request body, said plainly (never a bad host's name)."""
    if isinstance(exception, RequestDataTooBig):
        return (
            f"The form fields are larger than the limit of "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            "request_too_large",
        )
    if isinstance(exception, TooManyFieldsSent):
        return (
            f"The form has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields.",
            "too_many_fields",
        )
    if isinstance(exception, TooManyFilesSent):
        return (
            f"The form has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files.",
            "too_many_files",
        )
    return "Bad request.", "bad_request"


def bad_request(request, exception=None):
    detail, code = _bad_request_message(exception)
    return _json_for_api(request, 400, detail, code, defaults.bad_request, exception)


def permission_denied(request, exception=None):
    return _json_for_api(
        request,
        403,
        "You do not have permission to perform this action.",
        "permission_denied",
        defaults.permission_denied,
        exception,
    )


def page_not_found(request, exception=None):
    return _json_for_api(
        request, 404, "Not found.", "not_found", defaults.page_not_found, exception
    )


def server_error(request):
    """handler500: an unexpected error answers without a trace; the log has it."""
    return _json_for_api(
        request, 500, "Server error; it was logged.", "server_error", defaults.server_error
    )
