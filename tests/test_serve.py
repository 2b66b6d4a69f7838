"""The production start (scripts/serve: migrate, then gunicorn) over real HTTP.

The same script is the Dockerfile's and docker-compose's command, so these tests are
what CI knows about the image. The server gets a database of its own (a new SQLite
file, or a new database on the test PostgreSQL server), which also proves that
``migrate`` runs at start; everything is checked over HTTP, as a client sees it.
"""

import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import draw_text, encode

REPO = Path(__file__).resolve().parent.parent
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
PARSE_LETTER_PATH = "/api/ocr_record/parse_letter/"
START_TIMEOUT_SECONDS = 180  # four workers each loading Tesseract on two busy cores


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def multipart_image(data: bytes, filename: str = "image.png") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"'
            f"\r\nContent-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


class Server:
    """A running ``scripts/serve`` on a loopback port."""

    def __init__(self, port: int, process: subprocess.Popen, log_path: Path) -> None:
        self.port = port
        self.process = process
        self.log_path = log_path

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def get_json(self, path: str) -> tuple[int, dict]:
        status, body = self.request("GET", path)
        return status, json.loads(body)

    def upload(self, data: bytes) -> tuple[int, dict]:
        body, content_type = multipart_image(data)
        status, answer = self.request(
            "POST", PARSE_LETTER_PATH, body, {"Content-Type": content_type}
        )
        return status, json.loads(answer)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _server_database_url(tmp_dir: Path) -> tuple[str, callable]:
    """A fresh, empty database for the server, and how to drop it afterwards."""
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_dir / 'serve.sqlite3'}", lambda: None
    import psycopg

    db = settings.DATABASES["default"]
    name = f"ocr_serve_{uuid.uuid4().hex[:8]}"
    params = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{params['host']}:{params['port']}/{name}"
    return url, drop


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("serve")
    database_url, drop_database = _server_database_url(tmp_dir)
    port = free_loopback_port()
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "DJANGO_SETTINGS_MODULE": "ocr_project.settings",
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "serve-test-secret-key-" + uuid.uuid4().hex,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback, as docker-compose.yml runs it without a TLS proxy.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_MEDIA_ROOT": str(tmp_dir / "media"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        # Enough workers to race each other on the same new image.
        "GUNICORN_WORKERS": "4",
    }
    log_path = tmp_dir / "serve.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            ["bash", str(REPO / "scripts" / "serve")],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    running = Server(port, process, log_path)
    try:
        _wait_until_healthy(running)
        yield running
    finally:
        process.terminate()  # gunicorn's graceful stop
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drop_database()


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"scripts/serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            if server.request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"scripts/serve was not healthy within {START_TIMEOUT_SECONDS}s:\n{server.log()}")


def test_serve_migrates_then_reports_healthy(server):
    status, body = server.get_json("/healthz")

    assert status == 200
    assert body == {"status": "ok", "checks": {"database": "ok", "engine": "ok"}}
    assert "Apply all migrations" in server.log() or "No migrations to apply" in server.log()


def test_parse_letter_over_http_and_one_log_line_per_request(server):
    data = encode(draw_text("Hi"))
    log_before = len(server.log())

    status, body = server.upload(data)

    assert status == 200
    assert body == {"content": ["H", "i"]}
    # The access log line is written after the response; give the worker a moment.
    for _ in range(50):
        new_log = server.log()[log_before:]
        lines = [line for line in new_log.splitlines() if PARSE_LETTER_PATH in line]
        if lines:
            break
        time.sleep(0.1)
    assert len(lines) == 1
    assert '"POST /api/ocr_record/parse_letter/ HTTP/1.1" 200 ' in lines[0]
    assert lines[0].endswith("ms")


def test_static_files_are_served_by_whitenoise_without_debug(server):
    status, body = server.request("GET", "/static/admin/css/base.css")

    assert status == 200
    assert b"body" in body


def test_the_engine_is_loaded_in_each_worker_before_requests(server):
    # /healthz answered as soon as one worker was up; the others may still be loading.
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        log = server.log().splitlines()
        loaded = [line for line in log if "OCR engine tesserocr loaded" in line]
        if len(loaded) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert len(loaded) >= 4


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://...")
def test_32_parallel_uploads_of_one_new_image_give_identical_answers_and_one_record(server):
    data = encode(draw_text("Race"))
    image_md5 = hashlib.md5(data).hexdigest()
    start_together = threading.Barrier(32)

    def upload(_):
        start_together.wait()
        return server.upload(data)

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(upload, range(32)))

    assert [status for status, _ in answers] == [200] * 32
    assert all(body == answers[0][1] for _, body in answers)
    assert answers[0][1] == {"content": ["R", "a", "c", "e"]}
    status, listing = server.get_json(f"/api/ocr_record/?image_md5={image_md5}")
    assert status == 200
    assert listing["count"] == 1


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://...")
def test_parallel_uploads_of_different_images_lose_none(server):
    # Each image differs (size and text), so each must become its own record.
    images = [encode(draw_text(f"Id{chr(97 + n)}", size=48 + n)) for n in range(24)]
    _, before = server.get_json("/api/ocr_record/?page_size=1")

    with ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(server.upload, images))

    assert [status for status, _ in answers] == [200] * 24
    _, after = server.get_json("/api/ocr_record/?page_size=1")
    assert after["count"] == before["count"] + 24
    for data in images:
        _, listing = server.get_json(f"/api/ocr_record/?image_md5={hashlib.md5(data).hexdigest()}")
        assert listing["count"] == 1
