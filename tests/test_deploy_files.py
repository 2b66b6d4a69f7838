"""The deployment files agree with what CI runs: one start script, health, no drift.

Docker cannot run in CI, so these read the Dockerfile and compose file and check the
facts the rest of the suite relies on (tests/test_serve.py starts scripts/serve).
"""

import os
import re
import runpy
from pathlib import Path

import pytest
import yaml

from ocr_project.wsgi_workers import available_cpus

REPO = Path(__file__).resolve().parent.parent


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_image_starts_with_scripts_serve_as_a_non_root_user():
    instructions = dockerfile_instructions()
    commands = [args for name, args in instructions if name == "CMD"]
    users = [args for name, args in instructions if name == "USER"]

    assert commands == ['["scripts/serve"]']
    assert users and users[-1] not in ("root", "0")


def test_the_image_has_tesseract_collected_static_files_and_a_health_check():
    instructions = dockerfile_instructions()
    runs = " ".join(args for name, args in instructions if name == "RUN")
    (base,) = [args for name, args in instructions if name == "FROM"]

    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", base)
    assert "tesseract-ocr tesseract-ocr-eng" in runs
    assert "collectstatic --no-input" in runs
    (health,) = [args for name, args in instructions if name == "HEALTHCHECK"]
    assert "http://127.0.0.1:8000/healthz" in health


def test_compose_runs_the_image_command_with_postgresql_and_health_checks():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    web, db = compose["services"]["web"], compose["services"]["db"]

    # No command override: compose runs the image's scripts/serve, as CI does.
    assert "command" not in web and "entrypoint" not in web
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert all(port.startswith("127.0.0.1:") for port in web["ports"])


def test_docker_build_context_leaves_out_local_state_and_secrets():
    ignored = (REPO / ".dockerignore").read_text().split()

    assert {".git", ".venv", ".env", "*.sqlite3"} <= set(ignored)


def gunicorn_settings(monkeypatch, **env) -> dict:
    for name in [n for n in os.environ if n.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(REPO / "gunicorn.conf.py"))


def test_gunicorn_defaults_scale_with_cpus_recycle_workers_and_log_each_request(monkeypatch):
    config = gunicorn_settings(monkeypatch)

    assert config["workers"] == available_cpus() + 1
    assert config["bind"] == "127.0.0.1:8000"
    assert config["timeout"] > 0
    assert config["max_requests"] > 0 and 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["accesslog"] == "-"
    assert "%(s)s" in config["access_log_format"] and "%(M)s" in config["access_log_format"]
    assert callable(config["post_worker_init"])


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    config = gunicorn_settings(
        monkeypatch, GUNICORN_WORKERS="7", GUNICORN_BIND="0.0.0.0:9000", GUNICORN_MAX_REQUESTS="0"
    )

    assert (config["workers"], config["bind"], config["max_requests"]) == (7, "0.0.0.0:9000", 0)


@pytest.mark.parametrize("script", ["scripts/serve", "scripts/test", "scripts/setup"])
def test_scripts_are_executable(script):
    assert os.access(REPO / script, os.X_OK)
