"""End-to-end speed of parse_letter against a plain ``pytesseract --psm 10`` call.

Starts the service the way production does (``scripts/serve``: migrate, gunicorn) with
one worker on a free loopback port and a throwaway SQLite database, then, for every
benchmark image, side by side in one run:

- **new**: POST the image to ``/api/ocr_record/parse_letter/`` (hash, look up, decode,
  recognise, store, answer) over HTTP;
- **repeated**: POST the same bytes again (answered from the stored record);
- **baseline**: Pillow decode + ``pytesseract.image_to_string(image, config="--psm 10")``.

It prints p50/p95 of each, the median ratio baseline / new, and the exact accuracy of
the service's answers with the benchmark's scoring rule.

    .venv/bin/python -m bench.e2e --quick           # 304 images, about 2 minutes
    .venv/bin/python -m bench.e2e --fonts holdout
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from PIL import Image

from bench.generate import generate, scaled_counts
from bench.load import Target
from bench.run import _percentile, exact

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post_image(target: Target, data: bytes) -> tuple[int, dict, float]:
    start = time.perf_counter()
    status, payload = target.upload(data)
    return status, json.loads(payload), time.perf_counter() - start


def _baseline(data: bytes) -> float:
    import pytesseract

    start = time.perf_counter()
    image = Image.open(io.BytesIO(data))
    image.load()
    pytesseract.image_to_string(image, config="--psm 10")
    return time.perf_counter() - start


def _start_service(tmp: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'e2e.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp / "media"),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "OCR_PARSE_LETTER_RATE": "off",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "PYTHON": sys.executable,
    }
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen(
        ["bash", str(REPO / "scripts" / "serve")], cwd=REPO, env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit((tmp / "serve.log").read_text())
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("scripts/serve did not become healthy in 180 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fonts", choices=["tune", "holdout"], default="tune")
    parser.add_argument("--quick", action="store_true", help="a third of the images")
    parser.add_argument("--limit", type=int, help="at most this many images per group")
    args = parser.parse_args(argv)

    samples = generate(args.fonts, counts=scaled_counts(args.quick, args.limit))
    with tempfile.TemporaryDirectory(prefix="ocr-e2e-") as tmp_name:
        port = _free_port()
        process = _start_service(Path(tmp_name), port)
        target = Target(f"http://127.0.0.1:{port}")
        try:
            new, repeated, baseline, right, errors = [], [], [], 0, 0
            for sample in samples:
                status, answer, seconds = _post_image(target, sample.data)
                if status != 200:
                    errors += 1
                    continue
                new.append(seconds)
                right += exact(sample.label, "".join(answer["content"]))
                status, again, seconds = _post_image(target, sample.data)
                assert status == 200 and again == answer, (status, again, answer)
                repeated.append(seconds)
                baseline.append(_baseline(sample.data))
        finally:
            process.terminate()
            process.wait(timeout=60)

    def row(name: str, values: list[float]) -> str:
        ms = [v * 1000 for v in values]
        return f"| {name} | {len(ms)} | {_percentile(ms, 0.5):.1f} | {_percentile(ms, 0.95):.1f} |"

    print(f"fonts: {args.fonts}, images: {len(samples)}, non-200 answers: {errors}")
    print("| request | n | p50 ms | p95 ms |\n|---|---:|---:|---:|")
    print(row("parse_letter, new image (HTTP, gunicorn, SQLite)", new))
    print(row("parse_letter, repeated image", repeated))
    print(row("plain pytesseract --psm 10 (no HTTP, no database)", baseline))
    ratio = _percentile(baseline, 0.5) / _percentile(new, 0.5)
    print(f"median ratio baseline / new parse_letter: {ratio:.1f}x")
    print(f"exact accuracy of the service's answers: {100 * right / max(len(new), 1):.1f}%")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
