"""Load test: concurrent clients drive a running django-ocr over HTTP (loopback only).

Each client thread sends a mix of uploads of new images (never seen: OCR runs),
uploads of repeated images (answered from the stored record) and list requests,
until ``--requests`` are done or ``--duration`` seconds have passed. It prints
throughput, p50/p95/p99 latency and errors per kind of request, and, given the
gunicorn master's pid, each worker's memory (RSS) after ``--rss-at`` requests.

    scripts/serve &                      # or any running instance on 127.0.0.1
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --requests 10000 \\
        --clients 8 --new 0.1 --list 0.1 --gunicorn-pid $(pgrep -o -f gunicorn.conf.py)

Exit status 1 when any request got a 5xx or failed at the connection.
"""

import argparse
import http.client
import io
import ipaddress
import json
import os
import random
import socket
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

FONTS = [
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
]
PARSE_LETTER_PATH = "/api/ocr_record/parse_letter/"
LIST_QUERIES = ["", "?ordering=-image_size", "?search=abc", "?page_size=100", "?page=2"]
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZabdefghijkmnqrtuy"


def draw_word(rng: random.Random) -> bytes:
    """A PNG of a random word; a random text chunk makes its bytes (and MD5) unique
    even when the word and font repeat, without changing a pixel."""
    word = "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 6)))
    font = ImageFont.truetype(str(rng.choice(FONTS)), rng.randint(40, 72))
    left, top, right, bottom = font.getbbox(word)
    margin = 24
    image = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin), 255)
    ImageDraw.Draw(image).text((margin - left, margin - top), word, font=font, fill=0)
    info = PngInfo()
    info.add_text("nonce", uuid.UUID(int=rng.getrandbits(128)).hex)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="w.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


class Target:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        address = ipaddress.ip_address(socket.gethostbyname(host))
        if not address.is_loopback:
            raise SystemExit(f"refusing to load {host} ({address}): loopback addresses only")
        self.host, self.port = host, parts.port or 80

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        # gunicorn's sync workers close the connection after each response anyway.
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def upload(self, data: bytes) -> tuple[int, bytes]:
        body, content_type = multipart(data)
        return self.request("POST", PARSE_LETTER_PATH, body, {"Content-Type": content_type})


def worker_rss_kib(master_pid: int) -> dict[int, int]:
    """RSS of each gunicorn worker (children of the master), in KiB."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = {}
    for pid in map(int, children):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes[pid] = int(line.split()[1])
    return sizes


class Run:
    def __init__(self, args: argparse.Namespace, target: Target) -> None:
        self.args = args
        self.target = target
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.outcomes: dict[str, Counter] = defaultdict(Counter)
        self.done = 0
        self.issued = 0
        self.rss_samples: list[tuple[int, dict[int, int]]] = []
        self.rss_at = sorted(args.rss_at)

    def take_ticket(self) -> bool:
        with self.lock:
            if self.issued >= self.args.requests or time.monotonic() >= self.deadline:
                return False
            self.issued += 1
            return True

    def record(self, kind: str, seconds: float, outcome: str) -> None:
        with self.lock:
            self.latencies[kind].append(seconds * 1000)
            self.outcomes[kind][outcome] += 1
            self.done += 1
            if self.rss_at and self.done >= self.rss_at[0] and self.args.gunicorn_pid:
                self.rss_samples.append((self.done, worker_rss_kib(self.args.gunicorn_pid)))
                self.rss_at.pop(0)

    def client(self, seed: int, new_images: list[bytes], repeated: list[bytes]) -> None:
        rng = random.Random(seed)
        while self.take_ticket():
            roll = rng.random()
            if roll < self.args.new and new_images:
                kind = "new image"
                call = (self.target.upload, new_images.pop())
            elif roll < self.args.new + self.args.list:
                kind = "list"
                call = (self.target.request, "GET", "/api/ocr_record/" + rng.choice(LIST_QUERIES))
            else:
                kind = "repeated image"
                call = (self.target.upload, rng.choice(repeated))
            started = time.perf_counter()
            try:
                status, body = call[0](*call[1:])
                outcome = str(status)
                # A 200 must carry the answer, not just a status.
                answer_key = "count" if kind == "list" else "content"
                if status == 200 and not isinstance(json.loads(body)[answer_key], (int, list)):
                    outcome = "bad body"
            except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
                outcome = type(exc).__name__
            self.record(kind, time.perf_counter() - started, outcome)

    def run(self) -> float:
        rng = random.Random(self.args.seed)
        new_count = int(self.args.requests * self.args.new * 1.2) + self.args.clients
        print(f"drawing {new_count} new and {self.args.repeat_pool} repeated images ...")
        new_images = [draw_word(rng) for _ in range(new_count)]
        repeated = [draw_word(rng) for _ in range(self.args.repeat_pool)]
        stored = []
        for data in repeated:  # store them first: from now on they are repeats
            status, _ = self.target.upload(data)
            if status == 200:
                stored.append(data)
            else:
                print(f"warm-up upload failed, image left out of the pool: {status}")
        if not stored:
            raise SystemExit("no repeated image could be stored")
        repeated = stored
        if self.args.gunicorn_pid:
            self.rss_samples.append((0, worker_rss_kib(self.args.gunicorn_pid)))
        # Each client takes new images from its own list, so none is sent twice.
        shares = [new_images[i :: self.args.clients] for i in range(self.args.clients)]
        self.deadline = time.monotonic() + self.args.duration
        started = time.perf_counter()
        threads = [
            threading.Thread(target=self.client, args=(self.args.seed + i, shares[i], repeated))
            for i in range(self.args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if self.args.gunicorn_pid:
            self.rss_samples.append((self.done, worker_rss_kib(self.args.gunicorn_pid)))
        return elapsed


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def report(run: Run, elapsed: float) -> int:
    print(f"\n{run.done} requests in {elapsed:.1f}s with {run.args.clients} clients")
    print("\n| kind | requests | req/s | p50 ms | p95 ms | p99 ms | outcomes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    failures = 0
    for kind in ("new image", "repeated image", "list"):
        values = sorted(run.latencies.get(kind, []))
        if not values:
            continue
        outcomes = run.outcomes[kind]
        failures += sum(n for o, n in outcomes.items() if not o.isdigit() or o.startswith("5"))
        print(
            f"| {kind} | {len(values)} | {len(values) / elapsed:.1f} | "
            f"{statistics.median(values):.1f} | {percentile(values, 0.95):.1f} | "
            f"{percentile(values, 0.99):.1f} | "
            + ", ".join(f"{o}: {n}" for o, n in sorted(outcomes.items()))
            + " |"
        )
    if run.rss_samples:
        print("\nworker RSS (MiB) after N requests:")
        for done, sizes in run.rss_samples:
            listed = ", ".join(f"{pid}: {kib / 1024:.1f}" for pid, kib in sorted(sizes.items()))
            print(f"  after {done:>6}: {listed}")
    print(f"\n5xx and connection errors: {failures}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1000, help="at most this many")
    parser.add_argument("--duration", type=float, default=300, help="at most this long (s)")
    parser.add_argument("--new", type=float, default=0.1, help="share of new-image uploads")
    parser.add_argument("--list", type=float, default=0.1, help="share of list requests")
    parser.add_argument("--repeat-pool", type=int, default=50, help="distinct repeated images")
    parser.add_argument("--gunicorn-pid", type=int, help="master pid, to sample worker RSS")
    parser.add_argument(
        "--rss-at", type=int, nargs="*", default=[1000], help="also sample RSS after N requests"
    )
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    args = parser.parse_args()
    if not 0 <= args.new + args.list <= 1:
        parser.error("--new + --list must be between 0 and 1")
    run = Run(args, Target(args.url))
    elapsed = run.run()
    return report(run, elapsed)


if __name__ == "__main__":
    sys.exit(main())
