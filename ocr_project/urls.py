"""URLs: the API under /api/, its schema and docs, and the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

urlpatterns = [
    path("api/", include("ocr_record.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema"),
        name="swagger-ui",
    ),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
]

# Errors outside the API views answer JSON under /api/; never a stack trace or settings.
handler400 = "ocr_record.exceptions.bad_request"
handler403 = "ocr_record.exceptions.permission_denied"
handler404 = "ocr_record.exceptions.page_not_found"
handler500 = "ocr_record.exceptions.server_error"
