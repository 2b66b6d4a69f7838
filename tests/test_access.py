"""Abuse controls: the per-client throttle on parse_letter and the optional API key."""

import pytest
import yaml
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from ocr_project import settings as production
from ocr_record.models import OcrRecord
from tests.conftest import LIST_URL, PARSE_LETTER_URL, draw_text, encode

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def upload(client: APIClient, text: str, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("a.png", encode(draw_text(text)), content_type="image/png")
    return client.post(PARSE_LETTER_URL, {"image": image}, format="multipart", **extra)


# --- Throttling ----------------------------------------------------------------------


def test_throttling_is_on_in_production_and_off_in_the_test_settings(settings):
    assert production.OCR_PARSE_LETTER_RATE == "600/minute"
    assert settings.OCR_PARSE_LETTER_RATE is None


@override_settings(OCR_PARSE_LETTER_RATE="2/minute")
def test_a_client_over_the_rate_gets_429_and_nothing_is_stored():
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    assert upload(client, "A").status_code == 200
    assert upload(client, "B").status_code == 200

    response = upload(client, "C")

    assert response.status_code == 429
    assert response.json() == {
        "detail": "Request was throttled. Expected available in 60 seconds.",
        "code": "throttled",
    }
    assert response["Retry-After"] == "60"
    assert sorted(OcrRecord.objects.values_list("content", flat=True)) == [["A"], ["B"]]


@override_settings(OCR_PARSE_LETTER_RATE="1/minute")
def test_the_rate_is_per_client_and_only_for_uploads():
    first, second = APIClient(REMOTE_ADDR="203.0.113.7"), APIClient(REMOTE_ADDR="203.0.113.8")
    assert upload(first, "A").status_code == 200
    assert upload(first, "B").status_code == 429

    assert upload(second, "C").status_code == 200
    assert first.get(LIST_URL).status_code == 200


@override_settings(
    OCR_PARSE_LETTER_RATE="1/minute",
    REST_FRAMEWORK={**production.REST_FRAMEWORK, "NUM_PROXIES": 1},
)
def test_behind_a_proxy_clients_are_told_apart_by_x_forwarded_for():
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")
    assert upload(proxy, "A", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert upload(proxy, "B", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    assert upload(proxy, "C", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429


def test_a_shared_cache_for_several_workers_is_one_variable():
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import ocr_project.settings as s; print(s.CACHES['default'])"],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SECRET_KEY": "x" * 50,
            "CACHE_URL": "filecache:///var/tmp/django-ocr-cache",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "'BACKEND': 'django.core.cache.backends.filebased.FileBasedCache'" in result.stdout
    assert "'LOCATION': '/var/tmp/django-ocr-cache'" in result.stdout


@pytest.mark.parametrize("value", ["fast", "10/fortnight", "-1/minute"])
def test_a_bad_rate_stops_the_start(value):
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import ocr_project.settings"],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SECRET_KEY": "x" * 50,
            "OCR_PARSE_LETTER_RATE": value,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert 'OCR_PARSE_LETTER_RATE must be a rate like "60/minute" or "off"' in result.stderr


# --- Optional API key ----------------------------------------------------------------


def test_the_api_is_open_without_a_key_by_default(api_client, settings):
    assert settings.OCR_API_KEY == ""
    assert api_client.get(LIST_URL).status_code == 200
    assert upload(api_client, "A").status_code == 200


@override_settings(OCR_API_KEY="s3cret-key")
@pytest.mark.parametrize("path", [LIST_URL, f"{LIST_URL}1/"])
def test_with_a_key_set_reads_without_it_are_refused(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "This API needs the X-API-Key header.",
        "code": "not_authenticated",
    }
    assert response["WWW-Authenticate"] == "X-API-Key"


@override_settings(OCR_API_KEY="s3cret-key")
def test_with_a_key_set_uploads_without_it_are_refused_and_not_stored(api_client):
    assert upload(api_client, "A").status_code == 401
    assert upload(api_client, "A", HTTP_X_API_KEY="wrong").json() == {
        "detail": "The X-API-Key header is not valid.",
        "code": "authentication_failed",
    }
    assert OcrRecord.objects.count() == 0


@override_settings(OCR_API_KEY="s3cret-key")
def test_with_the_right_key_everything_works(api_client):
    api_client.credentials(HTTP_X_API_KEY="s3cret-key")

    assert upload(api_client, "K").json() == {"content": ["K"]}
    assert api_client.get(LIST_URL).json()["count"] == 1


def _schema(client) -> dict:
    return yaml.safe_load(client.get("/api/schema/").content)


@override_settings(OCR_API_KEY="s3cret-key")
def test_with_a_key_set_the_schema_documents_it_and_the_docs_stay_open(api_client):
    schema = _schema(api_client)

    assert schema["components"]["securitySchemes"] == {
        "ApiKeyAuth": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "The key set in OCR_API_KEY on the server.",
        }
    }
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            assert operation["security"] == [{"ApiKeyAuth": []}]
    assert api_client.get("/api/docs/").status_code == 200


def test_without_a_key_the_schema_is_the_published_one(api_client):
    schema = _schema(api_client)

    assert "securitySchemes" not in schema["components"]
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            assert operation["security"] == [{}]
