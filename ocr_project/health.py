"""``GET /healthz``: 200 when the database answers and the OCR engine is loaded.

Answered by a middleware placed first, before host validation, HTTPS redirects and
sessions: probes (Docker HEALTHCHECK, load balancers) call it by IP address, and a
health check must not depend on the parts it is not checking. It is deliberately
left out of the OpenAPI schema: it is an operations endpoint, not part of the
published ``django-ocr v1.0.0`` contract.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from ocr_record.engine import EngineUnavailable, check_engine

HEALTH_PATH = "/healthz"

logger = logging.getLogger(__name__)


def check_database() -> str | None:
    """None when the database answers a query, else what went wrong."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # Django closes the broken connection at the end of the request (CONN_HEALTH_CHECKS).
        logger.warning("Health check: database unavailable: %s", exc)
        return f"database unavailable ({type(exc).__name__})"
    return None


def check_ocr_engine() -> str | None:
    """None when the engine is loaded (it is loaded at worker start), else why not."""
    try:
        check_engine(settings.OCR_ENGINE_BACKEND, tessdata=settings.OCR_TESSDATA_DIR)
    except EngineUnavailable as exc:
        logger.warning("Health check: OCR engine unavailable: %s", exc)
        return "engine unavailable"
    return None


def health_response() -> JsonResponse:
    checks = {"database": check_database(), "engine": check_ocr_engine()}
    down = [name for name, problem in checks.items() if problem]
    body = {
        "status": "ok" if not down else "unavailable",
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    response = JsonResponse(body, status=200 if not down else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers ``GET``/``HEAD /healthz`` itself; passes every other request on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/") != HEALTH_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"detail": "Method not allowed."}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return health_response()
