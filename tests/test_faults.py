"""Faults: slow, crashing or missing engines, an unreachable database, a killed worker.

Each answers a clear status with a message (never a traceback), stores nothing, and the
service answers the next request.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.test import override_settings
from PIL import Image

from ocr_record import deadline
from ocr_record.models import OcrRecord
from tests import fault_engines
from tests.conftest import LIST_URL, draw_text, encode

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parent.parent
UNAVAILABLE = {
    "detail": "The OCR engine is unavailable; try again later.",
    "code": "ocr_unavailable",
}


def slow_png(text: str = "Slow words") -> bytes:
    """A line of letters: several milliseconds of work, far over the 1 ms limits below."""
    return encode(draw_text(text))


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def current_recognition_pid() -> int:
    return deadline._local.worker.process.pid


def assert_serves_the_next_request(post_image) -> None:
    data = encode(draw_text("Ok"))
    response = post_image(data)
    assert response.status_code == 200
    assert response.json() == {"content": ["O", "k"]}
    assert OcrRecord.objects.filter(image_size=len(data)).count() == 1


# --- OCR time limit -----------------------------------------------------------------


def test_an_in_process_recognition_over_the_time_limit_stops_and_answers_503(post_image, settings):
    settings.OCR_TIMEOUT_SECONDS = 0.001

    response = post_image(slow_png())

    assert response.status_code == 503
    assert response.json() == {
        "detail": "Reading the image took longer than the limit of 0.001 seconds.",
        "code": "ocr_timeout",
    }
    assert response["Retry-After"] == "30"
    assert OcrRecord.objects.count() == 0
    settings.OCR_TIMEOUT_SECONDS = 20.0
    assert_serves_the_next_request(post_image)


def test_a_recognition_process_over_the_time_limit_is_killed_and_answered_503(post_image, settings):
    settings.OCR_RECOGNITION_PROCESS = True
    post_image(encode(draw_text("A")))  # start this thread's recognition process
    busy_pid = current_recognition_pid()

    settings.OCR_TIMEOUT_SECONDS = 0.001
    response = post_image(slow_png())

    assert response.status_code == 503
    assert response.json() == {
        "detail": "Reading the image took longer than the limit of 0.001 seconds.",
        "code": "ocr_timeout",
    }
    assert response["Retry-After"] == "30"
    assert OcrRecord.objects.count() == 1  # only the first image
    assert not process_exists(busy_pid)  # stopped, not left running
    settings.OCR_TIMEOUT_SECONDS = 20.0
    assert_serves_the_next_request(post_image)
    assert current_recognition_pid() != busy_pid


@pytest.mark.parametrize("in_a_process", [False, True])
@override_settings(OCR_TIMEOUT_SECONDS=0.001)
def test_a_slow_image_is_refused_again_and_never_stored(post_image, settings, in_a_process):
    settings.OCR_RECOGNITION_PROCESS = in_a_process
    data = slow_png("Slower words")

    assert post_image(data).json()["code"] == "ocr_timeout"
    assert post_image(data).json()["code"] == "ocr_timeout"
    assert OcrRecord.objects.count() == 0


def test_the_time_limit_is_a_setting_with_a_default(settings):
    from ocr_project import settings as production

    assert production.OCR_TIMEOUT_SECONDS == 20.0
    assert settings.OCR_TIMEOUT_SECONDS == 20.0
    assert production.OCR_RECOGNITION_PROCESS is False


# --- Engine faults ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "in_a_process"),
    [
        # A crash in C code or an exit takes its process along: only survivable in a
        # recognition process of its own.
        ("crash", True),
        ("exit_quietly", True),
        ("raise_bug", True),
        ("raise_bug", False),
    ],
)
def test_an_engine_that_crashes_answers_503_and_the_next_request_works(
    post_image, fault, in_a_process
):
    with override_settings(
        OCR_RECOGNISER=f"tests.fault_engines.{fault}", OCR_RECOGNITION_PROCESS=in_a_process
    ):
        response = post_image(encode(draw_text("Cr")))

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert OcrRecord.objects.count() == 0
    assert_serves_the_next_request(post_image)


@pytest.mark.parametrize(
    "engine",
    [
        {"OCR_TESSDATA_DIR": "/nonexistent/tessdata/"},
        {"OCR_ENGINE_BACKEND": "no-such-backend"},
    ],
    ids=["language data missing", "unknown backend"],
)
def test_a_missing_engine_answers_503_without_details(post_image, engine):
    with override_settings(**engine):
        response = post_image(encode(draw_text("Ms")))

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert "nonexistent" not in response.content.decode()
    assert OcrRecord.objects.count() == 0
    assert_serves_the_next_request(post_image)


# --- Database unreachable -----------------------------------------------------------


def _database_down(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


DATABASE_DOWN = {
    "detail": "The database is unavailable; try again later.",
    "code": "database_unavailable",
}


def test_an_unreachable_database_answers_503_on_upload(post_image):
    with connection.execute_wrapper(_database_down):
        response = post_image(encode(draw_text("Db")))

    assert response.status_code == 503
    assert response.json() == DATABASE_DOWN
    assert "Connection refused" not in response.content.decode()
    assert OcrRecord.objects.count() == 0


@pytest.mark.parametrize("path", [LIST_URL, f"{LIST_URL}1/"])
def test_an_unreachable_database_answers_503_on_reads(api_client, path):
    with connection.execute_wrapper(_database_down):
        response = api_client.get(path)

    assert response.status_code == 503
    assert response.json() == DATABASE_DOWN


@pytest.mark.django_db(transaction=True)
def test_a_database_server_that_refuses_connections_answers_503(post_image, api_client):
    """A real connection failure: the server's address points at a closed port."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server to be unreachable")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port
    try:
        upload = post_image(encode(draw_text("Pg")))
        listing = api_client.get(LIST_URL)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port

    assert upload.status_code == listing.status_code == 503
    assert upload.json() == listing.json() == DATABASE_DOWN
    assert OcrRecord.objects.count() == 0


# --- A worker killed in the middle of a request ------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(predicate, what: str, seconds: float = 60.0) -> None:
    deadline_at = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline_at:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def _post(url: str, data: bytes):
    import requests

    return requests.post(url, files={"image": ("a.png", data, "image/png")}, timeout=60)


def test_a_worker_killed_during_a_request_stores_nothing_and_is_replaced(tmp_path):
    database = tmp_path / "db.sqlite3"
    marker = tmp_path / "recognising"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "tests.fault_settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "OCR_FAULT_MARKER": str(marker),
        "PYTHONPATH": str(REPO),
    }
    # Started in tmp_path, as a deployment would be: nothing depends on the checkout.
    subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "migrate", "--no-input", "-v", "0"],
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=120,
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers=1",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
            "ocr_project.wsgi",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/ocr_record/parse_letter/"
    try:
        _wait_for(lambda: len(_children(server.pid)) == 1, "the gunicorn worker")
        worker = _children(server.pid)[0]
        outcome = {}

        def send_hanging_request():
            import requests

            marked = encode(Image.new("L", (fault_engines.MARKER_WIDTH, 40), 128))
            try:
                outcome["response"] = _post(url, marked)
            except requests.RequestException as exc:
                outcome["error"] = exc

        _wait_for(lambda: _port_open(port), "the server to listen")
        request = threading.Thread(target=send_hanging_request)
        request.start()
        _wait_for(lambda: marker.exists() and marker.read_text(), "recognition to start")
        recognition = int(marker.read_text())
        os.kill(worker, signal.SIGKILL)
        request.join(timeout=60)
        _wait_for(lambda: not _running(recognition), "the recognition process to go")

        assert "error" in outcome, outcome  # the connection died with the worker
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT COUNT(*) FROM ocr_record_ocrrecord").fetchone() == (0,)

        _wait_for(lambda: _children(server.pid) not in ([], [worker]), "a new worker")
        _wait_for(lambda: _port_open(port), "the new worker to listen")
        response = _post(url, encode(draw_text("Ok")))
        assert response.status_code == 200
        assert response.json() == {"content": ["O", "k"]}
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT content FROM ocr_record_ocrrecord").fetchall() == [
                ('["O", "k"]',)
            ]
    finally:
        server.terminate()
        server.wait(timeout=30)


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has finished


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
