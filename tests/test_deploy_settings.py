"""Production settings: `check --deploy` passes, HTTPS behind a proxy, secure cookies,
the admin only for staff, and no stack trace or setting in any error."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings

from ocr_record.views import OcrRecordViewSet
from tests.conftest import LIST_URL

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    """Pages that link static files render without a collectstatic manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


REPO = Path(__file__).resolve().parent.parent
EMPTY_FOLDER = tempfile.mkdtemp(prefix="ocr-deploy-check-")
PRODUCTION_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "DJANGO_SETTINGS_MODULE": "ocr_project.settings",
    "DJANGO_SECRET_KEY": "k3J9-pLq2_vX8zR5tY1wN6mB4cH7fD0gS2aE9uI3oP5lK8jZ-w7Qe4Rt",
    "DJANGO_ALLOWED_HOSTS": "ocr.example.com",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # From an empty folder, as a deployment would run it: nothing depends on the checkout.
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=EMPTY_FOLDER,
        env={**PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_the_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        ({"DJANGO_SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"DJANGO_SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"DJANGO_SECURE_COOKIES": "false"}, "security.W012"),
    ],
)
def test_check_deploy_fails_when_a_protection_is_turned_off(env, warning):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    assert warning in result.stderr + result.stdout


def test_debug_is_off_and_hsts_cookies_and_referrer_policy_are_on_by_default():
    assert settings.DEBUG is False
    assert settings.SECURE_HSTS_SECONDS == 31_536_000
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True
    assert settings.SECURE_REFERRER_POLICY == "same-origin"
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https():
    response = Client().get(LIST_URL)

    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{LIST_URL}"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_https_from_the_proxy_is_served_with_the_security_headers():
    response = Client().get(LIST_URL, headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_admin_cookies_are_secure_and_http_only():
    response = Client().get("/admin/login/")

    assert response.status_code == 200
    assert response.cookies["csrftoken"]["secure"] is True


# --- The admin is for staff only -----------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "user", "inactive staff"])
def test_the_admin_is_closed_to_everyone_but_active_staff(who):
    client = Client()
    if who != "anonymous":
        user = User.objects.create_user(
            "someone", password="pw-123456789", is_staff=who == "inactive staff"
        )
        if who == "inactive staff":
            user.is_active = False
            user.save()
        client.force_login(user)

    response = client.get("/admin/ocr_record/ocrrecord/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_is_open_to_staff():
    client = Client()
    client.force_login(User.objects.create_user("staff", password="pw-123456789", is_staff=True))

    assert client.get("/admin/").status_code == 200


# --- Errors never show a stack trace or settings -------------------------------------


def _explode(*args, **kwargs):
    raise RuntimeError(f"boom {settings.SECRET_KEY} {settings.DATABASES['default']['NAME']}")


def _assert_no_internals(content: bytes) -> None:
    text = content.decode()
    for leak in ("Traceback", "boom", "RuntimeError", settings.SECRET_KEY, "site-packages"):
        assert leak not in text


def test_an_unexpected_error_in_the_api_answers_json_without_internals(monkeypatch):
    monkeypatch.setattr(OcrRecordViewSet, "list", _explode)

    response = Client(raise_request_exception=False).get(LIST_URL)

    assert response.status_code == 500
    assert response.json() == {"detail": "Server error; it was logged.", "code": "server_error"}
    _assert_no_internals(response.content)


def test_an_unexpected_error_in_the_admin_shows_a_plain_page(monkeypatch):
    from ocr_record.admin import OcrRecordAdmin

    monkeypatch.setattr(OcrRecordAdmin, "get_queryset", _explode)
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("root", password="pw-123456789"))

    response = client.get("/admin/ocr_record/ocrrecord/")

    assert response.status_code == 500
    assert b"Server Error (500)" in response.content
    _assert_no_internals(response.content)


@pytest.mark.parametrize(
    ("path", "headers", "status", "body"),
    [
        ("/api/nowhere/", {}, 404, {"detail": "Not found.", "code": "not_found"}),
        ("/api/ocr_record/%0A/", {}, 404, {"detail": "Not found.", "code": "not_found"}),
        (
            LIST_URL,
            {"Host": "evil.example"},
            400,
            {"detail": "Bad request.", "code": "bad_request"},
        ),
    ],
)
def test_errors_outside_the_views_are_json_under_api(path, headers, status, body):
    response = Client().get(path, headers=headers)

    assert response.status_code == status
    assert response.json() == body
    assert b"ALLOWED_HOSTS" not in response.content


def test_errors_outside_the_api_are_plain_pages():
    response = Client().get("/nowhere/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"urlpatterns" not in response.content  # no debug page
