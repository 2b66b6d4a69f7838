"""GET /healthz: 200 when the database answers and the engine loads, 503 naming what is down."""

import pytest
from django.db import OperationalError, connection

from ocr_record.engine import get_engine

pytestmark = pytest.mark.django_db

HEALTH_URL = "/healthz"


def test_healthy_service_answers_200_with_each_check_ok(client):
    response = client.get(HEALTH_URL)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "engine": "ok"}}
    assert response["Cache-Control"] == "no-store"


def test_a_database_that_does_not_answer_gives_503_naming_the_database(client, monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)

    response = client.get(HEALTH_URL)

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "database unavailable (OperationalError)", "engine": "ok"},
    }


def test_an_engine_that_cannot_load_gives_503_naming_the_engine(client, settings, tmp_path):
    # An empty tessdata folder: Tesseract cannot load the English model from it.
    settings.OCR_TESSDATA_DIR = str(tmp_path)

    response = client.get(HEALTH_URL)

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "engine": "engine unavailable"}


def test_health_answers_probes_that_use_a_host_not_in_allowed_hosts(client, settings):
    settings.ALLOWED_HOSTS = ["ocr.example.com"]

    assert client.get(HEALTH_URL, HTTP_HOST="10.1.2.3:8000").status_code == 200
    # Every other path still checks the host.
    assert client.get("/api/ocr_record/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_health_accepts_a_trailing_slash_and_refuses_writes(client):
    assert client.get(HEALTH_URL + "/").status_code == 200
    response = client.post(HEALTH_URL)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_health_is_left_out_of_the_published_schema(client):
    schema = client.get("/api/schema/?format=json").json()

    assert not [path for path in schema["paths"] if "health" in path]


def test_the_engine_is_loaded_once_per_process():
    assert get_engine("tesserocr") is get_engine("tesserocr")
